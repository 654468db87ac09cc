"""The fast first face detector: OpenCV's LBP frontal-face cascade, evaluated by a numba kernel.

Why: dlib's HOG detector sees faces of 80 px and more, so finding a 40 px face in a 1280x960 photo means
HOG over a 2x enlarged copy (~5 MP, ~0.5 s); a photo without a face paid for every such pass. The LBP cascade's
window is 24 px and most windows are rejected after 3 comparisons, so one scan of a 0.6x grey copy finds
face candidates of 40 px and up in a few milliseconds; dlib then checks and describes only those (face.py).

The cascade (``lbpcascade_frontalface_opencv.xml``, OpenCV's, BSD licence) ships inside scikit-image's wheel;
scikit-image's own ``Cascade`` reads it too but takes ~0.8 s per 640x480 image, hence this kernel. OpenCV 5
wheels no longer ship cascades nor ``CascadeClassifier``. The evaluation follows OpenCV's
(``cascadedetect.cpp``): multi-block LBP codes over 3x3 blocks, one categorical stump per weak classifier,
a stage rejects when its sum is under its threshold; the image is shrunk per scale, the window stays 24 px.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET  # noqa: S405 - a file shipped inside a package, not input
from dataclasses import dataclass
from functools import cache

import numpy as np
from numba import njit

from reclaim.errors import UserError
from reclaim.index.keypoint_set import opencv

SCALE_STEP = 1.25  # between pyramid levels (OpenCV's default 1.1; 1.2 costs a third more)
MIN_STD = 12.0  # grey levels: a flatter window holds no face features and is skipped before the cascade
MIN_NEIGHBOURS = 1  # windows that must agree before a spot is a candidate: one, dlib checks each (OpenCV: 3)
STAGES = 18  # of the cascade's 20: a candidate only needs to be worth a check, dlib decides
STEP = 2  # pixels between windows at every level (OpenCV: 1 above 2x shrinking; 4x the cost for little gain)
# Near misses (``refine``): spots whose best window passes LOOSE stages are scanned again closely, around
# themselves only. 15: faces of 40-60 px missed by the coarse scan (development seeds 23 and 31 of bench/faces.py)
# passed 15-17; 14 doubles the near misses of a face-less photo.
LOOSE = 15
FINE_STEP = 1.1  # between the close scan's pyramid levels
REFINE_SPAN = 1.4  # the close scan looks for faces from 1/1.4 to 1.4 times the near miss's size
REFINE_CROP = 2.2  # side of the square it scans, in near-miss sizes
REFINE_VOTES = 8  # windows that must agree there: faces gave 13 or more, generated scenes 1-2, gravel up to 14


@dataclass(frozen=True)
class Cascade:
    """The cascade as flat arrays for the kernel."""

    window: int
    rects: np.ndarray  # (F, 4) int32: x, y, w, h of one block of each feature's 3x3 grid
    stage_first: np.ndarray  # (S + 1,) int32: weak classifiers of stage s are stage_first[s]:stage_first[s+1]
    stage_threshold: np.ndarray  # (S,) float32
    weak_feature: np.ndarray  # (K,) int32
    weak_subset: np.ndarray  # (K, 8) int64: the 256-bit set of LBP codes that take the first leaf
    weak_leaf: np.ndarray  # (K, 2) float32


@dataclass(frozen=True)
class Candidate:
    """A spot where a face may be, in the coordinates of the upright grey image given to ``candidates``."""

    x: float  # centre
    y: float
    size: float  # side of the square window
    turn: float  # degrees the image was turned (counter-clockwise) for the cascade to see it upright
    votes: int  # windows that agreed
    depth: int = STAGES  # stages its best window passed: STAGES for a candidate, fewer for a near miss

    def scaled(self, by: float) -> Candidate:
        """The same spot in a picture ``by`` times as wide."""
        return Candidate(self.x * by, self.y * by, self.size * by, self.turn, self.votes, self.depth)


@cache
def load_cascade() -> Cascade:
    """Read the cascade from scikit-image's data folder (once per process)."""
    try:
        from skimage.data import lbp_frontal_face_cascade_filename
    except ImportError as exc:
        raise UserError("face matching needs the faces extra: pip install 'reclaim[faces]'") from exc
    root = ET.parse(lbp_frontal_face_cascade_filename()).getroot().find("cascade")  # noqa: S314
    if root is None:
        raise UserError("scikit-image's face cascade file has no cascade; reinstall scikit-image")
    window = int(root.findtext("width", "24"))
    rects = [[int(v) for v in (f.findtext("rect") or "").split()] for f in root.iterfind("features/_")]
    firsts, thresholds, features, subsets, leaves = [0], [], [], [], []
    for stage in root.iterfind("stages/_"):
        thresholds.append(float(stage.findtext("stageThreshold", "0")))
        for weak in stage.iterfind("weakClassifiers/_"):
            nodes = [int(v) for v in (weak.findtext("internalNodes") or "").split()]
            features.append(nodes[2])
            subsets.append(nodes[3:11])
            leaves.append([float(v) for v in (weak.findtext("leafValues") or "").split()])
        firsts.append(len(features))
    return Cascade(window, np.array(rects, np.int32), np.array(firsts, np.int32), np.array(thresholds, np.float32),
                   np.array(features, np.int32), np.array(subsets, np.int64), np.array(leaves, np.float32))


@njit(cache=True, nogil=True)
def _scan(ii: np.ndarray, sq: np.ndarray, min_std: float, window: int, step: int, rects: np.ndarray,
          stage_first: np.ndarray, stage_threshold: np.ndarray, weak_feature: np.ndarray, weak_subset: np.ndarray,
          weak_leaf: np.ndarray, loose: int) -> np.ndarray:
    """(x, y, depth) of the windows that pass at least ``loose`` stages (depth: how many they pass), top-left
    corners in the integral image ``ii``'s picture."""
    height, width = ii.shape[0] - 1, ii.shape[1] - 1
    stride = ii.shape[1]
    flat = ii.ravel()
    # Per weak classifier, the offsets of its feature's 4x4 grid of integral-image points from a window's corner.
    offsets = np.empty((weak_feature.shape[0], 16), np.int64)
    for k in range(weak_feature.shape[0]):
        x0, y0, w, h = rects[weak_feature[k]]
        for j in range(4):
            for i in range(4):
                offsets[k, 4 * j + i] = (y0 + j * h) * stride + x0 + i * w
    area, min_var = float(window * window), min_std * min_std
    found = []
    for y in range(0, height - window + 1, step):
        for x in range(0, width - window + 1, step):
            base = y * stride + x
            total = ii[y + window, x + window] - ii[y, x + window] - ii[y + window, x] + ii[y, x]
            total_sq = sq[y + window, x + window] - sq[y, x + window] - sq[y + window, x] + sq[y, x]
            mean = total / area
            if total_sq / area - mean * mean < min_var:  # flat: no eyes, brows or mouth can be in it
                continue
            depth = 0
            for s in range(stage_threshold.shape[0]):
                total = 0.0
                for k in range(stage_first[s], stage_first[s + 1]):
                    p0, p1 = flat[base + offsets[k, 0]], flat[base + offsets[k, 1]]
                    p2, p3 = flat[base + offsets[k, 2]], flat[base + offsets[k, 3]]
                    p4, p5 = flat[base + offsets[k, 4]], flat[base + offsets[k, 5]]
                    p6, p7 = flat[base + offsets[k, 6]], flat[base + offsets[k, 7]]
                    p8, p9 = flat[base + offsets[k, 8]], flat[base + offsets[k, 9]]
                    p10, p11 = flat[base + offsets[k, 10]], flat[base + offsets[k, 11]]
                    p12, p13 = flat[base + offsets[k, 12]], flat[base + offsets[k, 13]]
                    p14, p15 = flat[base + offsets[k, 14]], flat[base + offsets[k, 15]]
                    centre = p5 - p6 - p9 + p10
                    # the eight blocks around the centre, clockwise from the top left, as OpenCV orders the bits
                    code = ((128 if p0 - p1 - p4 + p5 >= centre else 0)
                            | (64 if p1 - p2 - p5 + p6 >= centre else 0)
                            | (32 if p2 - p3 - p6 + p7 >= centre else 0)
                            | (16 if p6 - p7 - p10 + p11 >= centre else 0)
                            | (8 if p10 - p11 - p14 + p15 >= centre else 0)
                            | (4 if p9 - p10 - p13 + p14 >= centre else 0)
                            | (2 if p8 - p9 - p12 + p13 >= centre else 0)
                            | (1 if p4 - p5 - p8 + p9 >= centre else 0))
                    if (weak_subset[k, code >> 5] >> (code & 31)) & 1:
                        total += weak_leaf[k, 0]
                    else:
                        total += weak_leaf[k, 1]
                if total < stage_threshold[s]:
                    break
                depth += 1
            if depth >= loose:
                found.append((x, y, depth))
    out = np.empty((len(found), 3), np.int32)
    for i, (x, y, d) in enumerate(found):
        out[i, 0], out[i, 1], out[i, 2] = x, y, d
    return out


def windows(grey: np.ndarray, min_size: float, *, max_size: float = np.inf, loose: int = STAGES,
            scale_step: float = SCALE_STEP, step: int = STEP) -> np.ndarray:
    """Every window that passes at least ``loose`` of the ``STAGES`` stages, as (x, y, side, depth) rows in
    ``grey``'s coordinates, sides from ``min_size`` up to ``max_size`` (depth ``STAGES``: accepted)."""
    cv2 = opencv()  # one thread: a pool started in a process hangs the workers it forks

    cascade = load_cascade()
    height, width = grey.shape
    rows = []
    factor = max(min_size / cascade.window, 1.0)
    while cascade.window * factor <= min(width, height, max_size):
        size = (round(width / factor), round(height / factor))
        level = cv2.resize(grey, size, interpolation=cv2.INTER_LINEAR) if factor > 1 else np.ascontiguousarray(grey)
        # summed-area tables of the pixels and their squares, zero first row and column (OpenCV: ~2x the
        # speed of a numba loop, same values; int32 holds 2,048 x 2,048 x 255)
        ii, sq = cv2.integral2(level, sdepth=cv2.CV_32S, sqdepth=cv2.CV_64F)
        corners = _scan(ii, sq, MIN_STD, cascade.window, step, cascade.rects, cascade.stage_first[:STAGES + 1],
                        cascade.stage_threshold[:STAGES], cascade.weak_feature, cascade.weak_subset, cascade.weak_leaf,
                        loose)
        rows += [(x * factor, y * factor, cascade.window * factor, depth) for x, y, depth in corners]
        factor *= scale_step
    return np.array(rows, np.float64).reshape(-1, 4)


def group(rows: np.ndarray, min_neighbours: int = MIN_NEIGHBOURS) -> list[tuple[float, float, float, int, int]]:
    """Windows (``windows`` rows) merged where they overlap (centres within a fifth of the size, sizes within
    1.5x): (centre x, centre y, size, votes, deepest window's depth) per spot with at least ``min_neighbours``
    windows, deepest and then most votes first."""
    spots: list[list[float]] = []  # sum x, sum y, sum size, votes, depth
    for x, y, side, depth in rows:
        cx, cy = x + side / 2, y + side / 2
        for spot in spots:
            n = spot[3]
            if _same_spot((cx, cy, side), (spot[0] / n, spot[1] / n, spot[2] / n)):
                spot[:5] = spot[0] + cx, spot[1] + cy, spot[2] + side, n + 1, max(spot[4], depth)
                break
        else:
            spots.append([cx, cy, side, 1, depth])
    kept = [(sx / n, sy / n, ss / n, int(n), int(d)) for sx, sy, ss, n, d in spots if n >= min_neighbours]
    return sorted(kept, key=lambda s: (-s[4], -s[3]))


def _same_spot(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    """Whether spots (centre x, centre y, size, ...) ``a`` and ``b`` are one: centres within 0.3 of ``b``'s size,
    sizes within 1.5x."""
    return abs(a[0] - b[0]) < 0.3 * b[2] and abs(a[1] - b[1]) < 0.3 * b[2] and 1 / 1.5 < a[2] / b[2] < 1.5


def candidates(grey: np.ndarray, min_size: float, turns: tuple[float, ...] = (0.0,), *, loose: int = STAGES,
               scale_step: float = SCALE_STEP, step: int = STEP) -> list[Candidate]:
    """Spots where a face of ``min_size`` px or more may be in ``grey``, upright or turned by one of ``turns``
    degrees (the cascade itself tolerates about 12 degrees); centres in ``grey``'s upright coordinates. With
    ``loose`` under ``STAGES``, near misses (spots whose best window passes only ``loose`` stages or more, away
    from every accepted one) come too, with their ``depth``: worth a closer look (``refine``), not a check."""
    cv2 = opencv()

    height, width = grey.shape
    found = []
    for turn in turns:
        theta = np.radians(turn)
        c, s = abs(np.cos(theta)), abs(np.sin(theta))
        side = (round(width * c + height * s), round(width * s + height * c))  # the whole turned picture
        matrix = cv2.getRotationMatrix2D((width / 2, height / 2), turn, 1.0)
        matrix[:, 2] += (side[0] - width) / 2, (side[1] - height) / 2
        turned = cv2.warpAffine(grey, matrix, side, flags=cv2.INTER_LINEAR, borderValue=128) if turn else grey
        back = cv2.invertAffineTransform(matrix)
        rows = windows(turned, min_size, loose=loose, scale_step=scale_step, step=step)
        accepted = group(rows[rows[:, 3] >= STAGES])
        near = [n for n in group(rows[rows[:, 3] < STAGES]) if not any(_same_spot(n, a) for a in accepted)]
        for x, y, size, votes, depth in accepted + near:
            bx, by = back @ (x, y, 1.0) if turn else (x, y)
            found.append(Candidate(float(bx), float(by), size, turn, votes, depth))
    return found


def refine(grey: np.ndarray, near: Candidate) -> list[Candidate]:
    """A near miss looked at again closely: the square of ``REFINE_CROP`` times its size around it, scaled so
    that faces from 1/``REFINE_SPAN`` to ``REFINE_SPAN`` times its size fill the cascade's window, turned
    ``near.turn``, scanned at every pixel and every ``FINE_STEP`` of scale; the spots where ``REFINE_VOTES``
    windows pass every stage, in ``grey``'s coordinates. A face between two levels of the coarse pyramid, or
    turned a little past what the cascade tolerates, is found there; the square is small, so this costs a few
    milliseconds, no dlib."""
    cv2 = opencv()

    window = load_cascade().window
    zoom = window * REFINE_SPAN / near.size
    side = round(REFINE_CROP * near.size * zoom)
    to_crop = cv2.getRotationMatrix2D((near.x, near.y), near.turn, zoom)
    to_crop[:, 2] += np.array([side / 2 - near.x, side / 2 - near.y])
    crop = cv2.warpAffine(grey, to_crop, (side, side), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    back = cv2.invertAffineTransform(to_crop)
    rows = windows(crop, window, max_size=window * REFINE_SPAN ** 2, scale_step=FINE_STEP, step=1)
    found = []
    for x, y, size, votes, _ in group(rows):  # distinct spots, most votes first
        if votes >= REFINE_VOTES:
            bx, by = back @ (x, y, 1.0)
            found.append(Candidate(float(bx), float(by), size / zoom, near.turn, votes))
    return found
