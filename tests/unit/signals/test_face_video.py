"""Faces over a video's frames: bounded work per file, one decode shared with vPDQ, hostile files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from reclaim.hashing import FileHashes, HashFailure, hash_file
from reclaim.media.video import VideoFrame, VideoInfo
from reclaim.signals import face_video
from reclaim.signals.face_video import MAX_CUT_FRAMES, MAX_GRID_FRAMES, FaceFrames
from reclaim.synthetic.scenes import scene

FRAME = np.zeros((8, 8, 3), np.uint8)


def test_frames_looked_at_are_bounded_and_spread_over_a_long_video(monkeypatch: pytest.MonkeyPatch) -> None:
    looked: list[float] = []
    monkeypatch.setattr(face_video, "detect_faces", lambda rgb, **kw: looked.append(0.0) or [])
    reader = FaceFrames()
    reader.start("long.mp4", VideoInfo("mov", "h264", 8, 8, 3600.0, 30.0))  # an hour: every 40 s
    for second in range(3600):
        reader.see(VideoFrame(second * 30, float(second), FRAME))
        reader.see(VideoFrame(second * 30 + 15, second + 0.5, FRAME, cut=True))
    assert len(looked) == MAX_GRID_FRAMES + MAX_CUT_FRAMES

    spread = FaceFrames()
    times: list[float] = []
    monkeypatch.setattr(face_video, "detect_faces", lambda rgb, **kw: [])
    spread.start("long.mp4", VideoInfo("mov", "h264", 8, 8, 900.0, 30.0))
    for second in range(900):
        before = spread._grid_frames
        spread.see(VideoFrame(second, float(second), FRAME))
        if spread._grid_frames > before:
            times.append(float(second))
    assert times[:3] == [0.0, 10.0, 20.0] and len(times) == MAX_GRID_FRAMES


def _clip(path: Path, seconds: int) -> Path:
    from reclaim.synthetic.video import write_clip

    return write_clip(path, [scene(s, (64, 48)) for s in range(seconds)], fps=4, size=(64, 48))


def test_one_decode_gives_vpdq_and_faces_and_a_broken_one_fails_in_one_line(tmp_path: Path,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("av")
    from reclaim.media import video

    decodes: list[str] = []
    opened = video._open

    def counting(source, name, limits):  # type: ignore[no-untyped-def]
        decodes.append(name)
        return opened(source, name, limits)

    monkeypatch.setattr(video, "_open", counting)
    monkeypatch.setattr(face_video, "detect_faces", lambda rgb, **kw: [])
    clip = _clip(tmp_path / "clip.mp4", 3)
    done = hash_file(clip, opt_in=frozenset({"face"}))
    assert isinstance(done, FileHashes) and done.frames == 3 and decodes == [str(clip)]

    broken = tmp_path / "broken.mp4"
    broken.write_bytes(clip.read_bytes()[: clip.stat().st_size // 3])
    failed = hash_file(broken, opt_in=frozenset({"face"}))
    assert isinstance(failed, HashFailure) and str(broken) in failed.error.message
    assert "\n" not in failed.error.message and {v.signal for v in failed.values} == {"sha256", "md5"}


def test_an_animation_whose_frames_cannot_be_composed_is_looked_at_as_a_still(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from reclaim.media import Limits, decode_image
    from reclaim.signals.base import Media
    from reclaim.signals.face import FaceSignal

    frames = [scene(s, (64, 48)) for s in range(3)]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=1000)
    data = out.getvalue()
    looked: list[tuple[int, ...]] = []
    monkeypatch.setattr(face_video, "detect_faces", lambda rgb, **kw: looked.append(rgb.shape) or [])
    monkeypatch.setattr("reclaim.signals.face.detect_faces", lambda rgb, **kw: looked.append(rgb.shape) or [])
    media = Media("a.gif", data, decode_image(data, "a.gif"))
    assert FaceSignal().compute(media) == [] and len(looked) == 3  # each second of the animation
    looked.clear()
    small = Limits(max_frame_pixels=100)
    assert FaceSignal().compute(Media("a.gif", data, decode_image(data, "a.gif"), limits=small)) == []
    assert looked == [(48, 64, 3)]  # its first frame, once


def test_a_one_frame_video_and_a_video_over_the_frame_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("av")
    from reclaim.media import Limits
    from reclaim.synthetic.video import write_clip

    looked: list[float] = []
    monkeypatch.setattr(face_video, "detect_faces", lambda rgb, **kw: looked.append(1.0) or [])
    still = write_clip(tmp_path / "still.mp4", [scene(1, (64, 48))], fps=1, size=(64, 48))  # one frame, ~0 s
    done = hash_file(still, opt_in=frozenset({"face"}))
    assert isinstance(done, FileHashes) and done.frames == 1 and looked == [1.0]

    many = _clip(tmp_path / "many.mp4", 5)
    failed = hash_file(many, Limits(max_sampled_frames=2), opt_in=frozenset({"face"}))
    assert isinstance(failed, HashFailure) and failed.error.message == f"{many}: more than 2 sampled frames"
