"""Geometric verification: do the matched keypoints of a known image and a query agree on one plausible warp?

Descriptor matches alone are noisy (unrelated photos share ~6 chance inliers, DEPS.md §5). The warp is fitted
by RANSAC as a similarity (scale, rotation, shift: what crops, screenshots, collages and small rotations make).
Its two-point samples need ~10x fewer iterations than a homography's four at the low inlier ratios of
collages, and its four degrees of freedom give noise less to fit. Any warp (``transform_problems`` takes a
general homography) is accepted only if a re-upload could have made it: finite, convex and not flipped
(mirrors are matched on the mirror set, so a flip here is a fit to noise), scaled within
``MIN_SCALE``..``MAX_SCALE``, not squashed or strongly tilted, and supported by inliers spread over an area
of the known image rather than a clump or a line. Positions are in the bounded copies the features came from;
reported regions are fractions of each image, so they hold at any resolution.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from reclaim.index.keypoint_set import opencv

MIN_SCALE, MAX_SCALE = 0.1, 10.0
MAX_ASPECT_CHANGE = 2.5  # a screenshot or collage keeps the image's aspect ratio (within JPEG/rounding)
MAX_SIDE_RATIO = 2.0  # opposite sides of the warped outline: beyond this is a tilt no re-upload makes
MIN_SPREAD = 0.01  # inlier hull area as a fraction of the known image
RANSAC_PX = 4.0
MIN_INLIERS = 10  # distinct ones (below); unrelated images reach ~6 (DEPS.md §5; bench/keypoints.py: at most 6)
# ORB finds one corner again at neighbouring pyramid levels, a few pixels apart (a level-7 position is rounded to
# 1.2^7 = 3.6 px): such repeats, close on both images, are one piece of evidence. Counted apart, 3 corners
# repeated 3-5 times made 12 "inliers" between two unrelated photos of bench/case.py's room (a warp at scale
# 0.3, turned 159 degrees); counted once, they are 7. With repeats counted once the floor is 10, not 12: in
# bench/keypoints.py a floor of 12 found 1 true match fewer of 878 than 10, and neither let a false one through.
DUPLICATE_PX = 4.0


@dataclass(frozen=True)
class Transform:
    """Where the known image sits in the query. Regions are (x0, y0, x1, y1) fractions of each image."""

    scale: float  # query size / known size (of the bounded copies' outlines)
    rotation: float  # degrees, counter-clockwise as seen on screen
    mirrored: bool
    known_region: tuple[float, float, float, float]  # the part of the known image that is visible
    query_region: tuple[float, float, float, float]  # where it appears in the query
    outline: tuple[tuple[float, float], ...]  # the known image's corners in the query, as fractions

    def as_json(self) -> dict[str, object]:
        return {"scale": round(self.scale, 3), "rotation": round(self.rotation, 1) + 0.0, "mirrored": self.mirrored,
                "known_region": [round(v, 3) for v in self.known_region],
                "query_region": [round(v, 3) for v in self.query_region]}


@dataclass(frozen=True, eq=False)
class Verification:
    inliers: int
    score: float  # inlier_score(inliers): hand-set, not a calibrated probability
    transform: Transform
    known_points: np.ndarray  # (inliers, 2) px in the known image's bounded copy
    query_points: np.ndarray  # (inliers, 2) px in the query's bounded copy (never mirrored)
    known_size: tuple[int, int]  # of the known image's bounded copy


def inlier_score(inliers: int) -> float:
    """A logistic in the (distinct) inlier count with hand-set constants: 0.5 at 9 (half again what chance gives),
    0.62 at the floor of 10, 0.95 at 15. A score that orders matches, not a probability (never fitted on data)."""
    return 1.0 / (1.0 + math.exp(-(inliers - 9) / 2))


def _corners(size: tuple[int, int]) -> np.ndarray:
    w, h = size
    return np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float64)


def _project(h: np.ndarray, points: np.ndarray) -> np.ndarray:
    p = np.hstack([points, np.ones((len(points), 1))]) @ h.T
    projected: np.ndarray = p[:, :2] / p[:, 2:3]
    return projected


def _signed_area(poly: np.ndarray) -> float:
    x, y = poly[:, 0], poly[:, 1]
    return 0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))


def _convex_same_turn(poly: np.ndarray) -> bool:
    edges = np.roll(poly, -1, axis=0) - poly
    turns = edges[:, 0] * np.roll(edges[:, 1], -1) - edges[:, 1] * np.roll(edges[:, 0], -1)
    return bool(np.all(turns > 0))


def transform_problems(h: np.ndarray | None, known_size: tuple[int, int]) -> list[str]:
    """Why the homography ``h`` (known px -> query px) is not a plausible re-upload; empty when it is."""
    if h is None or h.shape != (3, 3) or not np.all(np.isfinite(h)) or abs(h[2, 2]) < 1e-9:
        return ["no finite homography"]
    corners = _corners(known_size)
    denominators = np.hstack([corners, np.ones((4, 1))]) @ h[2]
    if np.any(denominators <= 1e-9):
        return ["the warp sends part of the image through infinity"]
    quad = _project(h, corners)
    if not _convex_same_turn(quad):
        return ["the warped outline is flipped, twisted or not convex"]
    problems = []
    scale = math.sqrt(_signed_area(quad) / _signed_area(corners))
    if not MIN_SCALE <= scale <= MAX_SCALE:
        problems.append(f"scale {scale:.3g} outside {MIN_SCALE}..{MAX_SCALE}")
    sides = np.linalg.norm(np.roll(quad, -1, axis=0) - quad, axis=1)
    if max(sides[0] / sides[2], sides[2] / sides[0], sides[1] / sides[3], sides[3] / sides[1]) > MAX_SIDE_RATIO:
        problems.append("opposite sides differ too much (a strong tilt)")
    w, h_ = known_size
    aspect_change = ((sides[0] + sides[2]) / (sides[1] + sides[3])) / (w / h_)
    if not 1 / MAX_ASPECT_CHANGE <= aspect_change <= MAX_ASPECT_CHANGE:
        problems.append(f"aspect ratio changed {aspect_change:.3g}-fold")
    return problems


def _hull_fraction(points: np.ndarray, size: tuple[int, int]) -> float:
    cv2 = opencv()
    if len(points) < 3:
        return 0.0
    hull = cv2.convexHull(points.astype(np.float32))
    return float(cv2.contourArea(hull)) / (size[0] * size[1])


def _bbox(points: np.ndarray, size: tuple[int, int]) -> tuple[float, float, float, float]:
    w, h = size
    x0, y0 = np.clip(points.min(axis=0), 0, (w, h))
    x1, y1 = np.clip(points.max(axis=0), 0, (w, h))
    return (float(x0 / w), float(y0 / h), float(x1 / w), float(y1 / h))


def _describe(h: np.ndarray, known_size: tuple[int, int], query_size: tuple[int, int],
              mirrored: bool) -> Transform:
    """Scale, rotation and regions of an accepted warp; ``h`` already maps into the un-mirrored query."""
    cv2 = opencv()
    corners = _corners(known_size)
    quad = _project(h, corners)
    scale = math.sqrt(abs(_signed_area(quad) / _signed_area(corners)))
    top = quad[1] - quad[0] if not mirrored else quad[0] - quad[1]
    rotation = -math.degrees(math.atan2(top[1], top[0]))
    ordered = quad if _signed_area(quad) > 0 else quad[::-1]
    _, visible = cv2.intersectConvexConvex(ordered.astype(np.float32), _corners(query_size).astype(np.float32))
    visible = quad if visible is None else visible.reshape(-1, 2).astype(np.float64)
    qw, qh = query_size
    return Transform(scale, rotation, mirrored, _bbox(_project(np.linalg.inv(h), visible), known_size),
                     _bbox(visible, query_size), tuple((float(x / qw), float(y / qh)) for x, y in quad))


def verify(known_xy: np.ndarray, query_xy: np.ndarray, known_size: tuple[int, int],
           query_size: tuple[int, int], *, mirrored: bool = False,
           min_inliers: int = MIN_INLIERS) -> Verification | None:
    """Fit and check a warp for matched positions (row i of each array is one match); None if none holds.

    With ``mirrored`` the query positions are in the query's mirror image; the result is reported in the
    query's own coordinates.
    """
    cv2 = opencv()
    if len(known_xy) < max(min_inliers, 4):
        return None
    affine, mask = cv2.estimateAffinePartial2D(known_xy, query_xy, method=cv2.RANSAC,
                                               ransacReprojThreshold=RANSAC_PX, maxIters=2000, confidence=0.995)
    if affine is None or mask is None or int(mask.sum()) < min_inliers:
        return None
    h = np.vstack([affine, [0.0, 0.0, 1.0]])
    if transform_problems(h, known_size):
        return None
    keep = mask.ravel().astype(bool)
    known_in, query_in = known_xy[keep], query_xy[keep].astype(np.float64)
    distinct = _distinct(known_in, query_in)
    if len(distinct) < min_inliers:
        return None
    known_in, query_in = known_in[distinct], query_in[distinct]
    if _hull_fraction(known_in, known_size) < MIN_SPREAD:
        return None
    if mirrored:
        flip = np.array([[-1, 0, query_size[0] - 1], [0, 1, 0], [0, 0, 1]], np.float64)
        h, query_in = flip @ h, _project(flip, query_in)
    transform = _describe(h, known_size, query_size, mirrored)
    return Verification(len(known_in), inlier_score(len(known_in)), transform, known_in, query_in, known_size)


def _distinct(known: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Rows of the inliers kept once each repeat of a kept one (within ``DUPLICATE_PX`` of it on both images)
    is dropped, in order."""
    def close(points: np.ndarray) -> np.ndarray:
        x, y = points[:, 0].astype(np.float32), points[:, 1].astype(np.float32)
        near: np.ndarray = np.square(x[:, None] - x) + np.square(y[:, None] - y) < DUPLICATE_PX ** 2
        return near

    repeats = close(known) & close(query)
    dropped = np.zeros(len(known), bool)
    kept = []
    for row in range(len(known)):
        if not dropped[row]:
            kept.append(row)
            dropped |= repeats[row]
    return np.array(kept, np.int64)
