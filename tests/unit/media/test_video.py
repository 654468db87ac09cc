"""Video frame sampling with PyAV: 1 frame a second by time, limits, and hostile files."""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from reclaim.errors import DecodeError, MediaError, TooLarge, UnsupportedFormat
from reclaim.media import Limits
from reclaim.media.video import VideoFrame, looks_like_video, sample_video
from reclaim.synthetic.scenes import scene

av = pytest.importorskip("av")


def write_clip(path: Path, seconds: float, fps: int = 10, size: tuple[int, int] = (160, 120),
               pts_scale: Callable[[int], int] | None = None) -> Path:
    """A small MPEG-4 clip whose picture changes every second (a new generated scene)."""
    scenes = [np.asarray(scene(seed, size)) for seed in range(int(seconds) + 1)]
    with av.open(str(path), "w") as out:
        stream = out.add_stream("mpeg4", rate=fps)
        stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
        stream.codec_context.time_base = Fraction(1, fps)
        for n in range(int(seconds * fps)):
            frame = av.VideoFrame.from_ndarray(scenes[n // fps], format="rgb24")
            frame.pts = pts_scale(n) if pts_scale else n
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path


def numbers(source: bytes | Path, limits: Limits = Limits(), **kw: object) -> list[tuple[int, float]]:
    return sample_video(source, "clip", lambda f: (f.number, f.timestamp), limits, **kw)[1]


def test_one_frame_per_second_by_presentation_time(tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "clip.mp4", 5)
    info, frames = sample_video(clip, "clip.mp4", lambda f: f)
    assert [(f.number, f.timestamp) for f in frames] == [(n * 10, float(n)) for n in range(5)]
    assert (info.format, info.codec, info.width, info.height, info.fps) == ("mov", "mpeg4", 160, 120, 10.0)
    assert all(isinstance(f, VideoFrame) and f.rgb.shape == (120, 160, 3) for f in frames)
    assert numbers(clip.read_bytes(), every=2.0) == [(0, 0.0), (20, 2.0), (40, 4.0)]  # bytes work too
    small = sample_video(clip, "clip.mp4", lambda f: f.rgb.shape, max_side=80)[1]
    assert small[0] == (60, 80, 3)


def test_variable_frame_rate_keeps_the_first_frame_of_each_second(tmp_path: Path) -> None:
    # frame n shown at int(n ** 1.5) / 10 s: gaps grow from 0.1 s to 0.8 s, so frames and seconds drift apart
    clip = write_clip(tmp_path / "vfr.mp4", 3, fps=10, pts_scale=lambda n: int(n ** 1.5))
    shown = [int(n ** 1.5) / 10 for n in range(30)]
    expected, second = [], 0
    for n, at in enumerate(shown):
        if at >= second:
            expected.append((n, at))
            second = int(at) + 1
    assert numbers(clip) == expected
    assert len(expected) == 16 and expected[1] == (5, 1.1)  # no frame at 1.0 s: the next one stands in


def test_sniffing_videos_but_not_heic_stills() -> None:
    assert looks_like_video(b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00")
    assert looks_like_video(b"\x1aE\xdf\xa3\x9fB\x86\x81\x01") and looks_like_video(b"RIFF\x00\x00\x00\x00AVI LIST")
    assert not looks_like_video(b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00")
    assert not looks_like_video(b"\xff\xd8\xff\xe0")


@pytest.mark.parametrize(
    ("limits", "says"),
    [
        (Limits(max_video_seconds=2), "long, over the limit of 2 s"),
        (Limits(max_frame_pixels=100 * 100), "frames are 160x120, over the limit"),
        (Limits(max_sampled_frames=2), "more than 2 sampled frames"),
        (Limits(max_video_bytes=1000), "over the video limit of 1,000"),
        (Limits(max_video_decode_seconds=0), "decoding took longer than 0 s"),
    ],
)
def test_limits_refuse_with_one_line(tmp_path: Path, limits: Limits, says: str) -> None:
    clip = write_clip(tmp_path / "clip.mp4", 4)
    with pytest.raises(TooLarge, match=says) as info:
        numbers(clip, limits)
    assert str(info.value).startswith("clip: ") and "\n" not in str(info.value)


def test_hostile_and_empty_files(tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "clip.mp4", 3).read_bytes()
    cases: list[tuple[bytes, type[MediaError], str]] = [
        (b"", DecodeError, r"empty file \(0 bytes\)"),
        (b"\x00\x00\x00\x18ftypmp42" + bytes(200), DecodeError, "not a readable video"),
        (clip[: len(clip) // 3], DecodeError, "^clip: "),
        (bytes(range(256)) * 40, DecodeError, "not a readable video"),
    ]
    for data, error, says in cases:
        with pytest.raises(error, match=says):
            numbers(data)
    audio = tmp_path / "voice.m4a"
    with av.open(str(audio), "w", format="mp4") as out:
        stream = out.add_stream("aac", rate=8000)
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp", layout="mono")
        frame.sample_rate = 8000
        out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    with pytest.raises(UnsupportedFormat, match="no video stream"):
        numbers(audio)


def test_scene_cuts_add_the_first_frame_of_a_short_shot(tmp_path: Path) -> None:
    """A shot from 2.5 s to 2.9 s falls between two one-second samples: only ``cuts`` sees it, as a cut frame,
    and the grid frames stay exactly the ones vPDQ hashes."""
    size, fps = (160, 120), 10
    pictures = [np.asarray(scene(seed, size)) for seed in range(3)]
    with av.open(str(tmp_path / "cut.mp4"), "w") as out:
        stream = out.add_stream("mpeg4", rate=fps)
        stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
        stream.codec_context.time_base = Fraction(1, fps)
        for n in range(40):  # scene 0, then scene 1 for 2.5-2.9 s only, then scene 2 (from 3.0 s)
            shown = pictures[1] if 25 <= n < 30 else pictures[0] if n < 30 else pictures[2]
            frame = av.VideoFrame.from_ndarray(shown, format="rgb24")
            frame.pts = n
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    clip = tmp_path / "cut.mp4"
    plain = sample_video(clip, "cut.mp4", lambda f: (f.timestamp, f.cut))[1]
    with_cuts = sample_video(clip, "cut.mp4", lambda f: (f.timestamp, f.cut), cuts=True)[1]
    assert plain == [(0.0, False), (1.0, False), (2.0, False), (3.0, False)]
    assert with_cuts == [(0.0, False), (1.0, False), (2.0, False), (2.5, True), (3.0, False)]
