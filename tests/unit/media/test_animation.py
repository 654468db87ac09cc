"""Animated GIF and WebP frames over time: one a second by display time, merged frames, hostile files."""

from __future__ import annotations

import io

import numpy as np
import pytest

from reclaim.media import Limits
from reclaim.media.animation import animation_frames
from reclaim.synthetic.scenes import scene


def animation(fmt: str, durations: list[int], size: tuple[int, int] = (64, 48)) -> bytes:
    frames = [scene(seed, size) for seed in range(len(durations))]
    out = io.BytesIO()
    frames[0].save(out, fmt, save_all=True, append_images=frames[1:], duration=durations, loop=0)
    return out.getvalue()


@pytest.mark.parametrize("fmt", ["GIF", "WEBP"])
def test_frames_by_display_time_with_long_frames_given_at_each_second(fmt: str) -> None:
    data = animation(fmt, [500, 500, 3000, 400, 400])  # the third frame is shown from 1 s to 4 s
    taken = [(f.number, f.timestamp, f.cut) for f in animation_frames(data, "a", every=1.0)]
    assert taken == [(0, 0.0, False), (2, 1.0, False), (2, 2.0, False), (2, 3.0, False), (3, 4.0, False)]
    with_cuts = [(f.number, f.timestamp, f.cut) for f in animation_frames(data, "a", every=1.0, cuts=True)]
    assert with_cuts == sorted(taken + [(1, 0.5, True), (4, 4.4, True)], key=lambda t: t[1])
    assert all(f.rgb.shape == (48, 64, 3) for f in animation_frames(data, "a"))


def test_a_damaged_animation_keeps_the_frames_before_the_damage() -> None:
    data = animation("GIF", [1000] * 6)
    truncated = data[: len(data) * 2 // 3]
    taken = [f.timestamp for f in animation_frames(truncated, "cut.gif")]
    assert taken and taken == [float(n) for n in range(len(taken))] and len(taken) < 6
    assert list(animation_frames(b"not an image", "junk.gif")) == []


def test_play_time_is_bounded() -> None:
    data = animation("GIF", [60_000] * 4)  # four minutes of four frames
    taken = list(animation_frames(data, "long.gif", Limits(max_video_seconds=90.0)))
    assert 90 <= len(taken) <= 121 and np.all([f.number <= 2 for f in taken])


def test_frames_over_the_frame_pixel_limit_are_not_composed() -> None:
    data = animation("GIF", [1000, 1000])
    assert list(animation_frames(data, "big.gif", Limits(max_frame_pixels=64 * 48 - 1))) == []
