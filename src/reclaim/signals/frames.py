"""One decode of a video for every signal that looks at its frames (vPDQ and faces): never two passes.

Each signal gives a ``FrameReader``; the video is sampled once at the smallest step any reader asks for (with
scene cuts when one wants them), and every reader sees every sampled frame. Readers that want a coarser step
skip frames with ``Grid``, which keeps the same first-frame-at-or-after rule as the decode itself.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from reclaim.errors import DecodeError
from reclaim.media.video import VideoInfo, video_frames
from reclaim.models import SignalValue
from reclaim.signals.base import FrameReader, Media


def read_frames(media: Media, readers: Sequence[FrameReader], *, max_side: int | None = None
                ) -> tuple[VideoInfo, list[SignalValue]]:
    """Decode ``media`` once and feed each sampled frame to every reader; their values, in reader order."""
    every = min((r.every for r in readers), default=1.0)
    cuts = any(r.cuts for r in readers)
    seen = 0
    source = media.path or media.data
    with video_frames(source, media.name, media.limits, every=every, max_side=max_side, cuts=cuts) as (info, frames):
        for reader in readers:
            reader.start(media.name, info)
        for frame in frames:
            seen += 1
            for reader in readers:
                reader.see(frame)
    if not seen:
        raise DecodeError(f"{media.name}: no decodable video frames")
    return info, [v for reader in readers for v in reader.values(info)]


class Grid:
    """Takes the first frame at or after each ``every`` seconds, as ``media.video`` samples."""

    def __init__(self, every: float) -> None:
        self.every, self.next_at = every, 0.0

    def take(self, at: float) -> bool:
        if at < self.next_at - 1e-6:
            return False
        self.next_at = (math.floor(at / self.every + 1e-6) + 1) * self.every
        return True
