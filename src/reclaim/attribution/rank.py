"""Rank source photos by how likely a suspect image's face was taken from them.

Evidence, strongest first: keypoints of the suspect's face region that land, under one similarity
transform (scale, rotation, shift; RANSAC), on the same places of a source photo: the pasted pixels
themselves; then the PDQ of the aligned face crops; then the face descriptor distance, which says "same
person" but not "this photo" and is therefore only computed against enrolled identities. Both the suspect
and its mirror image are tried: a face is roughly symmetric, so a mirrored paste still finds a few direct
inliers, and only the better of the two orientations tells the truth. Unrelated photos still give ~6
chance inliers (DEPS.md §5), hence the floor of ``MIN_INLIERS``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from reclaim.attribution.features import Keypoints, PhotoFeatures, mirrored_chip_pdq, region_keypoints
from reclaim.index.keypoint_set import opencv
from reclaim.signals.face import descriptor_distance
from reclaim.signals.pdq import hamming

cv2 = opencv()  # one thread: an OpenCV pool started in a process hangs the workers it forks

MIN_INLIERS = 15
CHIP_WEIGHT = 100.0
RATIO = 0.75  # Lowe's ratio test
_MATCHER = cv2.BFMatcher(cv2.NORM_HAMMING)


@dataclass(frozen=True)
class Transform:
    """Source photo → suspect image: how much the face was scaled, turned and whether it was mirrored."""

    scale: float
    rotation: float  # degrees, counter-clockwise
    mirrored: bool
    matrix: list[list[float]]


@dataclass(frozen=True)
class Candidate:
    source: str
    inliers: int
    face_distance: float | None
    chip_pdq_distance: int | None
    transform: Transform | None
    pairs: np.ndarray = field(repr=False)  # (n, 4): source x, y, suspect x, y of the inliers

    @property
    def score(self) -> float:
        """What ranks candidates: inliers, plus up to ``CHIP_WEIGHT`` when the aligned face crops agree (a source
        with the victim's face pasted into another photo shares the face's keypoints, not its crop)."""
        chip = 0.0 if self.chip_pdq_distance is None else max(0.0, 1.0 - self.chip_pdq_distance / 64)
        return self.inliers + CHIP_WEIGHT * chip

    @property
    def attribution_score(self) -> float:
        """0-1: "the face came from this photo", from the inliers above chance and the aligned crops. The
        constants are set by hand, not fitted or calibrated: a score that orders sources, not a probability;
        the evidence shows the inliers and the floor of ``MIN_INLIERS`` beside it."""
        from_keypoints = 1.0 - math.exp(-max(0, self.inliers - 6) / 12)
        if self.inliers < MIN_INLIERS:
            from_keypoints *= 0.5
        from_chip = 0.0 if self.chip_pdq_distance is None else max(0.0, 1.0 - self.chip_pdq_distance / 90) ** 2
        return round(max(from_keypoints, 0.8 * from_chip), 3)

    def as_json(self) -> dict[str, Any]:
        t = self.transform
        return {"source": self.source, "inliers": self.inliers, "score": round(self.score, 1),
                "attribution_score": self.attribution_score, "min_inliers": MIN_INLIERS,
                "face_distance": None if self.face_distance is None else round(self.face_distance, 4),
                "chip_pdq_distance": self.chip_pdq_distance,
                "transform": None if t is None else {"scale": round(t.scale, 3), "rotation": round(t.rotation, 1),
                                                     "mirrored": t.mirrored}}


def rank_sources(suspect: PhotoFeatures, sources: Sequence[PhotoFeatures], *,
                 descriptors: dict[str, np.ndarray] | None = None) -> list[Candidate]:
    """Every source, best first. ``descriptors`` (source name → enrolled face descriptor) enables the face
    distance; it is given only for identities enrolled with consent."""
    mirrored = region_keypoints(suspect.rgb, suspect.scale, suspect.face, mirror=True) if suspect.face else None
    chip_m = mirrored_chip_pdq(suspect)
    ranked = []
    for source in sources:
        inliers, transform, pairs = _geometry(source.keypoints, suspect.keypoints, mirror=False)
        if mirrored is not None:
            flipped = _geometry(source.keypoints, mirrored, mirror=True)
            if flipped[0] > inliers:
                inliers, transform, pairs = flipped
        chips = [d for d in (_chip_distance(source.chip_pdq, suspect.chip_pdq),
                             _chip_distance(source.chip_pdq, chip_m)) if d is not None]
        chip = min(chips) if chips else None
        face = None
        if descriptors and source.name in descriptors and suspect.face is not None:
            face = descriptor_distance(descriptors[source.name], suspect.face.descriptor)
        ranked.append(Candidate(source.name, inliers, face, chip, transform, pairs))
    ranked.sort(key=lambda c: (-c.score, c.face_distance if c.face_distance is not None else 9.0, c.source))
    return ranked


def _chip_distance(a: str | None, b: str | None) -> int | None:
    return None if a is None or b is None else hamming(a, b)


def _geometry(source: Keypoints, suspect: Keypoints, *, mirror: bool) -> tuple[int, Transform | None, np.ndarray]:
    """Inliers of one similarity transform source → suspect after Lowe's ratio test."""
    none = (0, None, np.empty((0, 4), np.float32))
    if len(source.descriptors) < 2 or len(suspect.descriptors) < 2:
        return none
    good = [m for m, *rest in _MATCHER.knnMatch(suspect.descriptors, source.descriptors, k=2)
            if rest and m.distance < RATIO * rest[0].distance]
    if len(good) < 4:
        return none
    dst = suspect.points[[m.queryIdx for m in good]]
    src = source.points[[m.trainIdx for m in good]]
    spread = float(np.ptp(dst, axis=0).max()) or 1.0
    signed = dst * np.array([-1.0 if mirror else 1.0, 1.0], np.float32)  # a mirror image is a similarity of -x
    matrix, mask = cv2.estimateAffinePartial2D(src, signed, method=cv2.RANSAC,
                                               ransacReprojThreshold=max(3.0, 0.02 * spread))
    if matrix is None or mask is None:
        return none
    keep = mask.ravel().astype(bool)
    a, b = float(matrix[0, 0]), float(matrix[1, 0])
    transform = Transform(math.hypot(a, b), math.degrees(math.atan2(-b, a)), mirror, matrix.tolist())
    return int(keep.sum()), transform, np.hstack([src[keep], dst[keep]])
