"""The frames of an animated GIF or WebP over time, sampled as a video's are (``media.video``), with Pillow.

FFmpeg (PyAV) reads GIF but not animated WebP, and Pillow reads both with each frame's display time, so
animations take this path. A frame's time is the sum of the durations before it (a GIF's 0 ms means
100 ms, as browsers play it). Encoders merge identical frames into one long one, so a frame is given at each
grid time it is shown at (same ``number``, converted once): a face held still from 3 s to 7 s is seen at 3, 4,
5 and 6 s, as in a video. Bounds: at most ``MAX_FRAMES`` frames are composed, and at most
``Limits.max_video_decode_seconds`` are spent; past either, or at a damaged frame, the frames taken so far
stand and the rest is left (logged): the first frame was already hashed, so nothing is lost.
"""

from __future__ import annotations

import io
import logging
import math
import time
import warnings
from collections.abc import Iterator

import numpy as np
from PIL import Image

from reclaim.media.image import _DECODE_ERRORS
from reclaim.media.limits import Limits
from reclaim.media.video import SIGNATURE, SceneCuts, VideoFrame

log = logging.getLogger(__name__)
MAX_FRAMES = 5_000
DEFAULT_MS = 100  # what a browser shows a frame declaring 0 ms for


def animation_frames(data: bytes, name: str, limits: Limits = Limits(), *, every: float = 1.0,
                     cuts: bool = False) -> Iterator[VideoFrame]:
    """One frame per ``every`` seconds (and each scene cut, with ``cuts``) of the animation in ``data``."""
    started, at, next_at = time.monotonic(), 0.0, 0.0
    scenes = SceneCuts(name) if cuts else None
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", module=r"PIL\.")
        try:
            image = Image.open(io.BytesIO(data))
            count = min(int(getattr(image, "n_frames", 1) or 1), MAX_FRAMES)
        except _DECODE_ERRORS as exc:
            log.warning("%s: animation not readable past its first frame (%s)", name, exc)
            return
        if image.width * image.height > limits.max_frame_pixels:
            log.info("%s: animation frames are over %d pixels; only its first frame is looked at", name,
                     limits.max_frame_pixels)
            return  # as a video's frames are bounded; decode_image has the first frame already
        for number in range(count):
            if time.monotonic() - started > limits.max_video_decode_seconds or at > limits.max_video_seconds:
                log.warning("%s: stopped after %d of %d animation frames (time limit)", name, number, count)
                return
            try:
                image.seek(number)
                image.load()  # WebP sets the frame's duration only when it is loaded
                end = at + max(0.0, float(image.info.get("duration") or DEFAULT_MS)) / 1000
                changed = scenes is not None and scenes.changed(_grey(image))
                rgb = None
                while next_at < end or (at >= next_at and end == at):  # each grid time this frame is shown at
                    rgb = np.asarray(image.convert("RGB")) if rgb is None else rgb
                    shown, next_at = max(at, next_at), (math.floor(max(at, next_at) / every + 1e-6) + 1) * every
                    if scenes is not None:
                        scenes.kept(shown)
                    yield VideoFrame(number, shown, rgb)
                if rgb is None and changed and scenes is not None and scenes.take(at):
                    yield VideoFrame(number, at, np.asarray(image.convert("RGB")), cut=True)
            except _DECODE_ERRORS as exc:
                log.warning("%s: animation frame %d is damaged; the frames before it stand (%s)", name, number, exc)
                return
            at = end
    if count == MAX_FRAMES:
        log.info("%s: only the first %d animation frames are looked at", name, MAX_FRAMES)


def animation_frame_at(data: bytes, name: str, at: float, limits: Limits = Limits()) -> VideoFrame | None:
    """The frame shown at ``at`` seconds (the last one reached if the animation is shorter or damaged)."""
    chosen = None
    for frame in animation_frames(data, name, limits, every=max(at, 0.001)):
        chosen = frame
        if frame.timestamp >= at - 0.001:
            break
    return chosen


def _grey(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("L").resize(SIGNATURE, Image.Resampling.BILINEAR))
