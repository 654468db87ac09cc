"""What attribution compares, computed once per photo: the face, keypoints around it, and an aligned-crop PDQ.

A fake made by pasting a face carries the source photo's own pixels: the face and a band of its
surroundings (hair, collar, background). ORB keypoints are taken from that region, after scaling it so the
face is ``FACE_WIDTH`` px wide (ORB's pyramid then covers the 0.5–2x rescaling of a paste), and stored in
the full image's coordinates, so the transform estimated later is the real one. The PDQ of the aligned face
chip (dlib's 150 px crop, rotated upright) matches a re-used face even when the keypoints are few.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from reclaim.errors import SignalError
from reclaim.index.keypoint_set import opencv
from reclaim.media.still import still_pixels
from reclaim.signals.face import Face, aligned_chip, detect_faces
from reclaim.signals.pdq import pdq_hex

cv2 = opencv()  # one thread: an OpenCV pool started in a process hangs the workers it forks

FACE_WIDTH = 160  # px, the face's width in the region keypoints are taken from
REGION = 2.6  # the region around the face, in face widths (face + surroundings)
ORB_FEATURES = 600
WHOLE_SIDE = 640  # a photo without a face: keypoints from the whole image at this size
cv2.setNumThreads(1)  # one photo per core; OpenCV's own threads only contend with the process pool


@dataclass(frozen=True)
class Keypoints:
    points: np.ndarray  # (n, 2) float32, full-image pixels
    descriptors: np.ndarray  # (n, 32) uint8 ORB


@dataclass(frozen=True)
class PhotoFeatures:
    """One photo, ready to be compared: ``face`` is None for a photo without one."""

    name: str
    rgb: np.ndarray  # decoded (possibly reduced) pixels, for the overlay
    scale: float  # decoded width / full width
    face: Face | None
    keypoints: Keypoints
    chip_pdq: str | None


def load_rgb(path: Path, at: float | None = None) -> tuple[np.ndarray, float]:
    """A photo's pixels, or a video's or animation's frame at ``at`` seconds (its first without)."""
    return still_pixels(path.read_bytes(), str(path), at)


def photo_features(name: str, rgb: np.ndarray, scale: float = 1.0, *, face: Face | None = None,
                   pick_largest: bool = True) -> PhotoFeatures:
    """Features of ``rgb``; the face is ``face`` when given, else the largest one found (without a descriptor)."""
    if face is None and pick_largest:
        found = detect_faces(rgb, scale=scale, describe=False)  # ranking compares pixels (rank.py)
        face = found[0] if found else None
    keypoints = region_keypoints(rgb, scale, face)
    chip = pdq_hex(aligned_chip(rgb, face, scale=scale))[0] if face else None
    return PhotoFeatures(name, rgb, scale, face, keypoints, chip)


def region_keypoints(rgb: np.ndarray, scale: float, face: Face | None, *, mirror: bool = False) -> Keypoints:
    """ORB keypoints of the face region (or the whole photo), in full-image coordinates."""
    h, w = rgb.shape[:2]
    if face is None:
        x0, y0, x1, y1, zoom = 0, 0, w, h, min(1.0, WHOLE_SIDE / max(h, w))
    else:
        fx, fy, fw, fh = (v * scale for v in face.box)
        cx, cy, half = fx + fw / 2, fy + fh / 2, REGION * max(fw, fh) / 2
        x0, y0 = max(0, int(cx - half)), max(0, int(cy - half))
        x1, y1 = min(w, int(cx + half)), min(h, int(cy + half))
        zoom = FACE_WIDTH / max(fw, 1.0)
    crop = cv2.cvtColor(np.ascontiguousarray(rgb[y0:y1, x0:x1]), cv2.COLOR_RGB2GRAY)
    if crop.size == 0:
        raise SignalError("attribution: the face region is empty")
    crop = cv2.resize(crop, (max(1, round(crop.shape[1] * zoom)), max(1, round(crop.shape[0] * zoom))),
                      interpolation=cv2.INTER_AREA if zoom < 1 else cv2.INTER_LINEAR)
    if mirror:
        crop = crop[:, ::-1].copy()
    found, descriptors = cv2.ORB.create(ORB_FEATURES).detectAndCompute(crop, None)
    if descriptors is None:
        return Keypoints(np.empty((0, 2), np.float32), np.empty((0, 32), np.uint8))
    points = np.array([k.pt for k in found], dtype=np.float32)
    if mirror:
        points[:, 0] = crop.shape[1] - 1 - points[:, 0]
    points = (points / zoom + (x0, y0)) / scale
    return Keypoints(points.astype(np.float32), descriptors)


def mirrored_chip_pdq(features: PhotoFeatures) -> str | None:
    if features.face is None:
        return None
    return pdq_hex(aligned_chip(features.rgb, features.face, scale=features.scale)[:, ::-1])[0]
