"""Fast downscaling of the pictures detectors read: whole blocks of pixels averaged, then one bilinear step.

Why: OpenCV's INTER_AREA is exact but slow at a non-integer ratio (a 1280x960 photo to 384x288 RGB: 4.5 ms; to
ORB's 1024x768 grey copy: 2.7 ms). Averaging whole blocks is its fast integer path, and the bilinear step that
follows never shrinks by 2 or more, so it does not alias: 1.8 ms and 0.6 ms, less than one grey level from
INTER_AREA on average (tests/unit/signals/test_shrink.py).
"""

from __future__ import annotations

import numpy as np

from reclaim.index.keypoint_set import opencv


def shrink(pixels: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """``pixels`` (H x W or H x W x C, uint8) reduced to ``size`` (width, height), no larger than they are."""
    cv2 = opencv()
    height, width = pixels.shape[:2]
    block = min(width // size[0], height // size[1])
    if block >= 2:  # INTER_AREA's fast path needs a whole number of blocks: the last few pixels are left out
        height, width = height // block, width // block
        pixels = cv2.resize(pixels[:height * block, :width * block], (width, height), interpolation=cv2.INTER_AREA)
    if (width, height) == tuple(size):
        return pixels
    return np.asarray(cv2.resize(pixels, size, interpolation=cv2.INTER_LINEAR))
