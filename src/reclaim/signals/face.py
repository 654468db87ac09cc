"""Faces: where each face is and a 128-d descriptor of it (dlib's HOG detector and ResNet, 5-point alignment).

Optional: ``pip install 'reclaim[faces]'`` brings ``dlib-bin`` (a wheel; the ``dlib`` sdist takes >10 min
to build) and ``face-recognition-models`` (the model files). That package's ``__init__`` imports
``pkg_resources``, gone from setuptools >= 81, so its files are found with ``find_spec`` and never imported.
The 5-point landmark model is used (the 68-point one carries a no-commercial-use note on its training set).

Detection runs on a copy shrunk to 800 px for speed; only when that finds nothing are turned copies (HOG
misses faces turned over ~10 degrees) and a larger copy (small faces) tried, see ``PASSES``. HOG hits under
``MIN_SCORE`` (a badge, a pattern) are dropped.
Descriptors are computed on the decoded pixels, and boxes are reported in the full image's coordinates.
The signal is opt-in (``Signal.opt_in``): faces are looked for only when an identity is enrolled.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from reclaim.errors import SignalError, UserError
from reclaim.index.face_vectors import Box, FaceVectorIndex, face_time, pack_face, unpack_face
from reclaim.models import MediaKind, SignalValue
from reclaim.signals.base import FrameReader, Media, Signal

SAME_PERSON = 0.6  # DESIGN.md: same person at Euclidean distance <= 0.6 (reported)
AUTO_FLAG = 0.5  # stricter default for flagging without a human
MIN_SCORE = 0.5  # HOG scores: real faces ~1.2, the astronaut's mission patch 0.12
MAX_FACES = 20
INSTALL_HINT = "face matching needs the faces extra: pip install 'reclaim[faces]'"


@dataclass(frozen=True)
class Face:
    """One detected face, in the coordinates of the full (upright) image."""

    box: Box  # x, y, w, h
    landmarks: tuple[tuple[int, int], ...]  # 5 points: eye corners and the base of the nose
    descriptor: np.ndarray  # (128,) float32
    score: float  # HOG detector confidence

    @property
    def size(self) -> int:
        return min(self.box[2], self.box[3])

    def extras(self) -> dict[str, Any]:
        return {"box": list(self.box), "landmarks": [list(p) for p in self.landmarks],
                "score": round(self.score, 3), "size": self.size}


def faces_available() -> bool:
    return all(importlib.util.find_spec(m) is not None for m in ("dlib", "face_recognition_models"))


@cache
def _models() -> tuple[Any, Any, Any]:
    """Load detector, landmark model and descriptor network once per process (~0.6 s)."""
    if not faces_available():
        raise UserError(INSTALL_HINT)
    import dlib

    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise UserError(INSTALL_HINT)
    folder = Path(next(iter(spec.submodule_search_locations))) / "models"
    try:
        landmarks = dlib.shape_predictor(str(folder / "shape_predictor_5_face_landmarks.dat"))
        network = dlib.face_recognition_model_v1(str(folder / "dlib_face_recognition_resnet_model_v1.dat"))
    except RuntimeError as exc:
        raise UserError(f"face models under {folder} do not load ({exc}); reinstall reclaim[faces]") from exc
    return dlib.get_frontal_face_detector(), landmarks, network


# Detection passes, tried in order until one finds a face: (longest side, HOG upsampling, in-plane turn).
# The first is cheap (~35 ms idle); a photo without a face pays for all of them (~400 ms). HOG's frontal
# detector misses faces turned more than ~10 degrees and faces under ~80 px, hence the turned and larger passes.
PASSES: tuple[tuple[int, int, float], ...] = ((800, 0, 0.0), (800, 0, 15.0), (800, 0, -15.0), (1600, 0, 0.0))


def detect_faces(rgb: np.ndarray, *, scale: float = 1.0, passes: tuple[tuple[int, int, float], ...] = PASSES,
                 max_faces: int = MAX_FACES) -> list[Face]:
    """Faces in ``rgb`` (decoded at ``scale`` of the full image), largest first."""
    rgb = np.ascontiguousarray(rgb, dtype=np.uint8)
    for side, upsample, angle in passes:
        if side > max(rgb.shape[:2]) and side > passes[0][0]:  # a small photo: upsample instead of enlarging
            side, upsample = max(rgb.shape[:2]), upsample + 1
        shrink = min(1.0, side / max(rgb.shape[:2]))
        small = _turned(_resized(rgb, shrink), angle)
        hits = _run(_models()[0], small, upsample)
        if hits:
            image = _turned(rgb, angle)  # only now pay for turning the full pixels
            turn = rotation_matrix(rgb.shape, angle)
            return [_describe(image, rect, score, shrink, scale, turn)
                    for rect, score in sorted(hits, key=lambda h: -h[0].area())[:max_faces]]
    return []


def _describe(image: np.ndarray, rect: Any, score: float, shrink: float, scale: float,
              turn: np.ndarray | None) -> Face:
    """Landmarks and descriptor on the (turned) decoded pixels; box and landmarks mapped to the full image."""
    import dlib

    _, landmarks, network = _models()
    box = dlib.rectangle(*(round(v / shrink) for v in (rect.left(), rect.top(), rect.right(), rect.bottom())))
    shape = landmarks(image, box)
    descriptor = np.asarray(network.compute_face_descriptor(image, shape), dtype=np.float32)
    points = np.array([(p.x, p.y) for p in shape.parts()], np.float64)
    corners = np.array([(box.left(), box.top()), (box.right(), box.top()), (box.left(), box.bottom()),
                        (box.right(), box.bottom())], np.float64)
    if turn is not None:
        back = _invert(turn)
        points, corners = (np.c_[a, np.ones(len(a))] @ back.T for a in (points, corners))
    x0, y0 = np.maximum(corners.min(axis=0), 0) / scale
    x1, y1 = corners.max(axis=0) / scale
    landmarks_full = tuple((round(px / scale), round(py / scale)) for px, py in points)
    return Face((round(x0), round(y0), max(1, round(x1 - x0)), max(1, round(y1 - y0))), landmarks_full,
                descriptor, score)


def rotation_matrix(shape: tuple[int, ...], angle: float) -> np.ndarray | None:
    """The 2x3 matrix turning an image of ``shape`` by ``angle`` degrees counter-clockwise about its centre."""
    if not angle:
        return None
    h, w = shape[:2]
    theta = np.radians(angle)
    c, s = np.cos(theta), np.sin(theta)
    cx, cy = (w - 1) / 2, (h - 1) / 2
    return np.array([[c, s, cx - c * cx - s * cy], [-s, c, cy + s * cx - c * cy]])


def _invert(matrix: np.ndarray) -> np.ndarray:
    full = np.vstack([matrix, [0, 0, 1]])
    return np.linalg.inv(full)[:2]


def _inverse_coeffs(matrix: np.ndarray) -> tuple[float, ...]:
    """Pillow's AFFINE transform wants output → input coefficients."""
    return tuple(_invert(matrix).ravel())


def _turned(image: np.ndarray, angle: float) -> np.ndarray:
    turn = rotation_matrix(image.shape, angle)
    if turn is None:
        return image
    turned = Image.fromarray(image).transform(image.shape[1::-1], Image.Transform.AFFINE, _inverse_coeffs(turn),
                                              Image.Resampling.BILINEAR)
    return np.asarray(turned)


def _resized(image: np.ndarray, shrink: float) -> np.ndarray:
    if shrink == 1.0:
        return image
    size = (round(image.shape[1] * shrink), round(image.shape[0] * shrink))
    return np.asarray(Image.fromarray(image).resize(size, Image.Resampling.BILINEAR))


def _run(detector: Any, image: np.ndarray, upsample: int) -> list[tuple[Any, float]]:
    rects, scores, _ = detector.run(image, upsample, 0.0)
    return [(r, float(s)) for r, s in zip(rects, scores, strict=True) if s >= MIN_SCORE]


def aligned_chip(rgb: np.ndarray, face: Face, *, scale: float = 1.0, size: int = 150,
                 padding: float = 0.25) -> np.ndarray:
    """The face cut out, rotated upright and scaled to ``size`` px (what the descriptor network sees)."""
    import dlib

    x, y, w, h = (round(v * scale) for v in face.box)
    points = dlib.points([dlib.point(round(px * scale), round(py * scale)) for px, py in face.landmarks])
    shape = dlib.full_object_detection(dlib.rectangle(x, y, x + w, y + h), points)
    return np.asarray(dlib.get_face_chip(np.ascontiguousarray(rgb, dtype=np.uint8), shape, size, padding))


def descriptor_distance(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(np.asarray(a, np.float32) - np.asarray(b, np.float32)))


class FaceSignal(Signal):
    name = "face"
    version = "1"
    media_kinds = frozenset({MediaKind.PHOTO, MediaKind.VIDEO})  # videos and animations: signals.face_video
    needs = "pixels"
    opt_in = True
    default_threshold = SAME_PERSON
    index_cls = FaceVectorIndex

    def compute(self, media: Media) -> list[SignalValue]:
        """One value per face; an image without a face gives none (that is an answer, not a failure)."""
        if media.image is None:
            raise SignalError(f"{media.name}: face detection needs decoded pixels")
        if media.image.frames > 1:  # an animation: its frames over time, as a video's
            from reclaim.signals.face_video import animation_faces  # it builds on this module

            over_time = animation_faces(media)
            if over_time is not None:
                return over_time
        faces = detect_faces(media.image.rgb, scale=media.image.scale)
        return [SignalValue(self.name, self.version, pack_face(f.descriptor, f.box), None, f.extras())
                for f in faces]

    def parse(self, text: str) -> str:
        descriptor, box = unpack_face(text)
        return pack_face(descriptor, box, face_time(text))

    def distance(self, a: str, b: str) -> float:
        return descriptor_distance(unpack_face(a)[0], unpack_face(b)[0])

    def examples(self) -> list[str]:
        ramp = np.linspace(-0.4, 0.4, 128, dtype=np.float32)
        return [pack_face(ramp, (10, 20, 90, 90)), pack_face(-ramp, (0, 0, 40, 41))]

    def frame_reader(self) -> FrameReader:
        from reclaim.signals.face_video import FaceFrames  # it builds on this module

        return FaceFrames()

