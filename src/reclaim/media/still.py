"""The one picture that stands for an item in a preview or an attribution: a photo's pixels, or the frame of a
video or animation shown at a given time (the best frame of a face match), else its first frame."""

from __future__ import annotations

import numpy as np

from reclaim.media.animation import animation_frame_at
from reclaim.media.image import decode_image
from reclaim.media.limits import Limits
from reclaim.media.video import frame_at, looks_like_video


def still_pixels(data: bytes, name: str, at: float | None = None, limits: Limits = Limits()
                 ) -> tuple[np.ndarray, float]:
    """(RGB pixels, their width / the full width) of the picture shown at ``at`` seconds; MediaError if none."""
    if looks_like_video(data[:16]):
        return frame_at(data, name, at or 0.0, limits).rgb, 1.0
    image = decode_image(data, name, limits)
    if at and image.frames > 1:
        frame = animation_frame_at(data, name, at, limits)
        if frame is not None:
            return frame.rgb, 1.0
    return image.rgb, image.scale
