"""Decode untrusted videos and animations into a few frames a second, or raise a one-line MediaError.

PyAV (FFmpeg) is an optional extra (``reclaim[video]``: its wheels bundle GPL x264/x265, see DEPS.md).
Frames are sampled by presentation time — the first frame at or after each ``every`` seconds — which on a
constant-rate video is exactly vPDQ's "every N-th frame" rule and also holds for variable-rate phone clips.
Every frame is decoded (a decoder needs its references) but only sampled ones are converted to RGB, which
is where the time goes. Limits are checked before decoding (size, duration, frame pixels) and during it
(sampled-frame count, wall-clock time), so a hostile file costs bounded time and memory.

With ``cuts``, the first frame of a new scene between two samples is kept too (``VideoFrame.cut``), so a
shot shorter than the sampling step is still seen (faces look at these; vPDQ keeps to its grid). A scene
change is a jump in a 32x18 grey copy of each frame, which costs a few percent of a decode; at most
``MAX_CUTS`` cut frames are kept per file, none closer than ``MIN_CUT_GAP`` to the previous kept frame.
"""

from __future__ import annotations

import io
import logging
import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from reclaim.errors import DecodeError, TooLarge, UnreadableFile, UnsupportedFormat
from reclaim.media.limits import Limits

T = TypeVar("T")
log = logging.getLogger(__name__)
MAX_CUTS = 60
MIN_CUT_GAP = 0.25  # seconds: a strobe or a flash must not turn every frame into a cut
CUT_LEVEL = 16.0  # mean absolute change of the grey copy (0-255) that counts as a new scene (unrelated
# generated scenes differ by 20-44; a false cut costs one more frame looked at, within MAX_CUTS)
SIGNATURE = (32, 18)
_HEIF_BRANDS = (b"heic", b"heix", b"hevc", b"heim", b"heis", b"mif1", b"msf1", b"avif", b"avis")


@dataclass(frozen=True)
class VideoFrame:
    number: int  # index among all decoded frames, as vPDQ counts them
    timestamp: float  # seconds from the start of the stream
    rgb: np.ndarray  # (h, w, 3) uint8
    cut: bool = False  # kept because the scene changed between two samples, not on the ``every`` grid


@dataclass(frozen=True)
class VideoInfo:
    format: str  # FFmpeg's demuxer name, first alias only ("mov" for MP4/MOV, "matroska" for WebM/MKV)
    codec: str
    width: int
    height: int
    duration: float | None
    fps: float | None


def looks_like_video(head: bytes) -> bool:
    """MP4/MOV/3GP, WebM/MKV, AVI or FLV by their first bytes (HEIC/AVIF stills share MP4's box: excluded)."""
    if head[4:8] == b"ftyp":
        return head[8:12] not in _HEIF_BRANDS
    return head.startswith((b"\x1aE\xdf\xa3", b"FLV")) or (head[:4] == b"RIFF" and head[8:12] == b"AVI ")


def sample_video(
    source: bytes | Path, name: str, on_frame: Callable[[VideoFrame], T], limits: Limits = Limits(),
    *, every: float = 1.0, max_side: int | None = None, cuts: bool = False,
) -> tuple[VideoInfo, list[T]]:
    """Call ``on_frame`` on one frame per ``every`` seconds (and on scene cuts, with ``cuts``); only its
    results are kept (bounded memory).

    ``max_side`` shrinks frames whose longer side exceeds it before conversion (faster hashing). A path is
    decoded from the file (never read whole), so a video's size is bounded only by ``max_video_bytes``.
    """
    with video_frames(source, name, limits, every=every, max_side=max_side, cuts=cuts) as (info, frames):
        results = [on_frame(frame) for frame in frames]
    if not results:
        raise DecodeError(f"{name}: no decodable video frames")
    return info, results


@contextmanager
def video_frames(source: bytes | Path, name: str, limits: Limits = Limits(), *, every: float = 1.0,
                 max_side: int | None = None, cuts: bool = False) -> Iterator[tuple[VideoInfo, Iterator[VideoFrame]]]:
    """The video's facts, known before any frame is decoded, and its sampled frames, decoded as they are taken."""
    with _open(source, name, limits) as (container, stream, info):
        yield info, _sampled(container, stream, name, limits, every, max_side, cuts)


def frame_at(source: bytes | Path, name: str, at: float, limits: Limits = Limits(), *,
             max_side: int | None = None) -> VideoFrame:
    """The first frame shown at or after ``at`` seconds (the first frame when the video is shorter)."""
    chosen = None
    with video_frames(source, name, limits, every=max(at, 0.001), max_side=max_side) as (_, frames):
        for frame in frames:  # the grid is 0, at, 2 at...: the second frame taken is the one wanted
            chosen = frame
            if frame.timestamp >= at - 0.001:
                break
    if chosen is None:
        raise DecodeError(f"{name}: no decodable video frames")
    return chosen


def _av() -> Any:
    try:
        import av
    except ImportError as exc:
        raise UnsupportedFormat("video decoding needs the optional PyAV package: pip install 'reclaim[video]'") \
            from exc
    return av


def check_video_size(size: int, name: str, limits: Limits) -> None:
    """Refuse an empty or oversize video before anything reads it."""
    if size == 0:
        raise DecodeError(f"{name}: empty file (0 bytes)")
    if size > limits.max_video_bytes:
        raise TooLarge(f"{name}: file is {size:,} bytes, over the video limit of {limits.max_video_bytes:,}")


@contextmanager
def _open(source: bytes | Path, name: str, limits: Limits) -> Iterator[tuple[Any, Any, VideoInfo]]:
    av = _av()
    check_video_size(len(source) if isinstance(source, bytes) else file_size(source, name), name, limits)
    try:
        container = av.open(io.BytesIO(source) if isinstance(source, bytes) else str(source), "r")
    except av.error.FFmpegError as exc:
        raise DecodeError(f"{name}: not a readable video ({_reason(exc)})") from exc
    with container:
        if not container.streams.video:
            raise UnsupportedFormat(f"{name}: no video stream (audio or data only)")
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        info = _info(container, stream)
        if info.width * info.height > limits.max_frame_pixels:
            raise TooLarge(f"{name}: frames are {info.width}x{info.height}, over the limit of "
                           f"{limits.max_frame_pixels:,} pixels")
        if info.duration is not None and info.duration > limits.max_video_seconds:
            raise TooLarge(f"{name}: {info.duration:,.0f} s long, over the limit of "
                           f"{limits.max_video_seconds:,.0f} s")
        yield container, stream, info


def _sampled(container: Any, stream: Any, name: str, limits: Limits, every: float,
             max_side: int | None, cuts: bool = False) -> Iterator[VideoFrame]:
    av = _av()
    started, step = time.monotonic(), Fraction(every).limit_denominator(1000)
    origin: Fraction | None = None
    next_at, kept = Fraction(0), 0
    scenes = SceneCuts(name) if cuts else None
    fps = Fraction(stream.average_rate) if stream.average_rate else Fraction(30)
    try:
        for number, frame in enumerate(container.decode(stream)):
            if time.monotonic() - started > limits.max_video_decode_seconds:
                raise TooLarge(f"{name}: decoding took longer than {limits.max_video_decode_seconds:g} s")
            at = Fraction(frame.pts) * stream.time_base if frame.pts is not None and stream.time_base else \
                number / fps
            origin = at if origin is None else origin
            at -= origin
            if at > limits.max_video_seconds:
                raise TooLarge(f"{name}: plays longer than {limits.max_video_seconds:,.0f} s")
            changed = scenes is not None and scenes.changed(_grey(frame))
            if at < next_at:
                if changed and scenes is not None and scenes.take(float(at)):
                    yield VideoFrame(number, float(at), _rgb(frame, max_side), cut=True)
                continue
            if scenes is not None:
                scenes.kept(float(at))
            kept += 1
            if kept > limits.max_sampled_frames:
                raise TooLarge(f"{name}: more than {limits.max_sampled_frames:,} sampled frames")
            next_at = (math.floor(at / step) + 1) * step
            yield VideoFrame(number, float(at), _rgb(frame, max_side))
    except av.error.FFmpegError as exc:
        raise DecodeError(f"{name}: corrupt video stream ({_reason(exc)})") from exc


class SceneCuts:
    """Spots the first frame of a new scene from a small grey copy of every frame, and bounds how many are kept."""

    def __init__(self, name: str) -> None:
        self.name, self.taken, self.last_kept = name, 0, -math.inf
        self._previous: np.ndarray | None = None

    def changed(self, grey: np.ndarray) -> bool:
        """Is this frame (its grey signature) a new scene against the frame before it?"""
        signature = grey.astype(np.int16)
        previous, self._previous = self._previous, signature
        return previous is not None and float(np.abs(signature - previous).mean()) >= CUT_LEVEL

    def take(self, at: float) -> bool:
        """Keep this cut frame? Not too close to the last kept frame, and not past ``MAX_CUTS``."""
        if at - self.last_kept < MIN_CUT_GAP:
            return False
        if self.taken >= MAX_CUTS:
            if self.taken == MAX_CUTS:
                log.info("%s: more than %d scene cuts; later ones are not looked at", self.name, MAX_CUTS)
                self.taken += 1
            return False
        self.taken += 1
        self.kept(at)
        return True

    def kept(self, at: float) -> None:
        self.last_kept = at


def _grey(frame: Any) -> np.ndarray:
    grey: np.ndarray = frame.to_ndarray(format="gray", width=SIGNATURE[0], height=SIGNATURE[1],
                                        interpolation="FAST_BILINEAR")
    return grey


def _rgb(frame: Any, max_side: int | None) -> np.ndarray:
    width, height = frame.width, frame.height
    if max_side and max(width, height) > max_side:
        scale = max_side / max(width, height)
        width, height = max(2, round(width * scale)), max(2, round(height * scale))
        rgb: np.ndarray = frame.to_ndarray(format="rgb24", width=width, height=height, interpolation="AREA")
    else:
        rgb = frame.to_ndarray(format="rgb24")
    return rgb


def _info(container: Any, stream: Any) -> VideoInfo:
    if stream.duration is not None and stream.time_base:
        duration: float | None = float(stream.duration * stream.time_base)
    elif container.duration is not None:
        duration = container.duration / 1_000_000  # AV_TIME_BASE
    else:
        duration = None
    rate = stream.average_rate or stream.guessed_rate
    demuxer = container.format.name.split(",")[0][:20]
    return VideoInfo(demuxer, stream.codec_context.name, stream.width, stream.height, duration,
                     float(rate) if rate else None)


def file_size(path: Path, name: str) -> int:
    try:
        return path.stat().st_size
    except OSError as exc:
        raise UnreadableFile(f"{name}: cannot read ({exc.strerror or exc})") from exc


def _reason(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:200] or type(exc).__name__
