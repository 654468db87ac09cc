"""Faces: where each face is and a 128-d descriptor of it (MTCNN finds them; dlib's ResNet, 5-point alignment).

Optional: ``pip install 'reclaim[faces]'`` brings ``dlib-bin`` (a wheel; the ``dlib`` sdist takes >10 min
to build) and ``face-recognition-models`` (the model files). That package's ``__init__`` imports
``pkg_resources``, gone from setuptools >= 81, so its files are found with ``find_spec`` and never imported.
The 5-point landmark model is used (the 68-point one carries a no-commercial-use note on its training set).

Detection has two stages, so a photo without a face costs a few tens of ms instead of every HOG pass:
1. MTCNN finds the faces (face_mtcnn.py: three small networks in OpenCV's dnn): from 40 px, turned up to ~60
   degrees in the picture's plane, each with five points whose eye line says how far it is turned;
2. only those faces pay for dlib: its 5 landmarks on a full-resolution crop turned upright by that eye line
   (the photo is decoded again at full size when the hashes' fast decode was reduced), then all descriptors
   of a photo in one call.
Measured (CPU per 1280x960 photo, median, one core): face-less generated scenes ~28 ms, textured photos
(gravel, a cat, coins) ~60 ms; the detector it replaced (OpenCV's LBP cascade in a numba kernel, turned copies,
close looks at near misses, HOG checks) ~100 ms and ~250 ms, and missed 1 of 30 small faces of the held-out
seed that MTCNN finds (bench/faces.py). Turning the crop matters past ~45 degrees: a face turned 60 degrees is
described 0.12 from its person's own descriptor upright, 0.34 as found. Rejected before: dlib's CNN (mmod)
detector 730 ms at 320 px; HOG on a 320 px copy 12 ms but it sees only faces over a quarter of the photo;
YuNet and Haar cascades ship in no pip package here. Yaw (a head turned sideways) is not measured: the
composites are flat pictures.
bench/faces.py has recall per kind (small, turned, video frames) against the HOG passes in the same run.
Descriptors are computed on the decoded pixels, and boxes are reported in the full image's coordinates.
The signal is opt-in (``Signal.opt_in``): faces are looked for only when an identity is enrolled.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from reclaim.errors import SignalError, UserError
from reclaim.index.face_vectors import Box, FaceVectorIndex, face_time, pack_face, unpack_face
from reclaim.index.keypoint_set import opencv
from reclaim.models import MediaKind, SignalValue
from reclaim.signals.base import FrameReader, Media, Signal

if TYPE_CHECKING:
    from reclaim.signals.face_mtcnn import Proposal

SAME_PERSON = 0.6  # DESIGN.md: same person at Euclidean distance <= 0.6 (reported)
AUTO_FLAG = 0.5  # stricter default for flagging without a human
MAX_FACES = 20
INSTALL_HINT = "face matching needs the faces extra: pip install 'reclaim[faces]'"


@dataclass(frozen=True)
class Face:
    """One detected face, in the coordinates of the full (upright) image."""

    box: Box  # x, y, w, h
    landmarks: tuple[tuple[int, int], ...]  # 5 points: eye corners and the base of the nose
    descriptor: np.ndarray  # (128,) float32
    score: float  # MTCNN's face probability

    @property
    def size(self) -> int:
        return min(self.box[2], self.box[3])

    def extras(self) -> dict[str, Any]:
        return {"box": list(self.box), "landmarks": [list(p) for p in self.landmarks],
                "score": round(self.score, 3), "size": self.size}


@cache
def faces_available() -> bool:
    """Whether the faces extra is installed: asked once per process (two module searches on every photo were
    0.3 % of a thorough scan's CPU)."""
    return all(importlib.util.find_spec(m) is not None for m in ("dlib", "face_recognition_models"))


@cache
def _models() -> tuple[Any, Any]:
    """Load the landmark model and the descriptor network once per process (~0.6 s)."""
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
    return landmarks, network


# Smallest MTCNN box looked for (a descriptor of less says little). MTCNN's square reaches from brow to chin and
# is wider than the face as dlib and the issue measure it (1.15x on average, 0.96-1.35x, over 40 composites of
# 40-60 px), and P-Net still fires a little below its window, so 56 still finds faces 40 px wide: faces 38-48 px
# wide on seeds 71, 73 and 79 were all found (180/180) at 40, 48 and 56, and 64 began to miss (59/60 at 38-41 px);
# 34-38 px faces: 59/60 at 56. The pyramid costs ~1/MIN_FACE^2: 56 instead of 40 halves it for every photo.
MIN_FACE = 56.0
CROP = 2.4  # side of the region dlib describes around a face, in face sizes
DESCRIBE_SIDE = 100  # px: a smaller face is enlarged to this in the crop dlib reads its landmarks from
# dlib's 5-point landmark model was trained on dlib's own detector boxes: on the sample portraits and 40-60 px
# composites those are 0.79-1.00 (median ~0.85) of MTCNN's square, centred 0.04 of its side lower.
TO_DLIB_BOX, DLIB_BOX_LOWER = 0.85, 0.04


def detect_faces(rgb: np.ndarray, *, scale: float = 1.0, max_faces: int = MAX_FACES,
                 full: Callable[[], np.ndarray] | None = None, describe: bool = True) -> list[Face]:
    """Faces in ``rgb`` (decoded at ``scale`` of the full image), largest first; boxes in full-image pixels.

    MTCNN (face_mtcnn.py) finds the faces and how far each is turned (a few tens of ms for a photo, most of it
    spent whether or not there is a face); only the faces it finds pay for dlib (landmarks and descriptor on a
    full-resolution crop turned upright). ``full`` gives the full-resolution pixels when ``rgb`` is reduced:
    they are decoded only once a face is found. ``describe=False`` skips the descriptor network (the costliest
    step; attribution compares pixels, not descriptors): each face's descriptor is then empty, and comparing
    it with ``descriptor_distance`` raises."""
    located, to_pixels = _located(rgb, scale, full)
    faces = _describe(located[:max_faces], scale * to_pixels, network=describe)
    return sorted(faces, key=lambda f: -f.box[2] * f.box[3])


def face_boxes(rgb: np.ndarray) -> list[Box]:
    """The boxes ``detect_faces`` finds in ``rgb`` (full resolution), in no particular order, without paying
    for descriptors: for callers that only need where the faces are (provenance's JPEG-grid check)."""
    located, _ = _located(rgb, 1.0, None)
    return [_box(item, 1.0) for item in located[:MAX_FACES]]


def _located(rgb: np.ndarray, scale: float, full: Callable[[], np.ndarray] | None) -> tuple[list[_Located], float]:
    """The faces MTCNN finds, best first, with their landmarks; and ``pixels`` width over ``rgb`` width."""
    if not faces_available():  # dlib describes every face: without it, say how to install, not ImportError
        raise UserError(INSTALL_HINT)
    from reclaim.signals.face_mtcnn import find

    found = find(np.ascontiguousarray(rgb, dtype=np.uint8), MIN_FACE)
    if not found:
        return [], 1.0
    pixels, to_pixels = rgb, 1.0
    if full is not None and scale < 1.0:
        pixels = np.ascontiguousarray(full(), dtype=np.uint8)
        to_pixels = pixels.shape[1] / rgb.shape[1]
    return [_locate(pixels, proposal, to_pixels) for proposal in found], to_pixels


@dataclass(frozen=True)
class _Located:
    """A face MTCNN found: its crop (turned upright), dlib's landmarks in it, and the crop -> image map."""

    crop: np.ndarray
    shape: Any  # dlib.full_object_detection in crop pixels
    score: float
    back: np.ndarray  # 2x3: crop pixels -> ``pixels`` coordinates
    box: tuple[float, float, float, float]  # x0, y0, x1, y1 of the face's upright square in ``pixels``


def _locate(pixels: np.ndarray, proposal: Proposal, to_pixels: float) -> _Located:
    """dlib's 5 landmarks for a face MTCNN found, on a crop of ``pixels`` at full resolution (enlarged only for
    a face under ``DESCRIBE_SIDE`` px) turned by the face's eye line, so the landmarks see it upright."""
    import dlib

    cx, cy = (v * to_pixels for v in proposal.centre)
    size = proposal.size * to_pixels
    fine = max(1.0, DESCRIBE_SIDE / size)
    side = round(CROP * size * fine)
    crop, back = _crop(pixels, (cx, cy), side, fine, proposal.turn)
    half, middle = TO_DLIB_BOX * size * fine / 2, (side - 1) / 2
    lower = DLIB_BOX_LOWER * size * fine
    top, bottom = middle - half + lower, middle + half + lower
    box = dlib.rectangle(*(round(v) for v in (middle - half, top, middle + half, bottom)))
    # the face's square as dlib's detector would give it, upright around its centre in ``pixels``
    mid_x, mid_y = back @ (middle, middle + lower, 1.0)
    half /= fine
    face = (mid_x - half, mid_y - half, mid_x + half, mid_y + half)
    return _Located(crop, _models()[0](crop, box), proposal.score, back, face)


def _crop(pixels: np.ndarray, centre: tuple[float, float], side: int, zoom: float,
          turn: float) -> tuple[np.ndarray, np.ndarray]:
    """A ``side``-px square around ``centre``, ``zoom`` crop px per image px, turned ``turn`` degrees
    counter-clockwise (so a face turned that much stands upright); and the crop -> image affine map."""
    cv2 = opencv()

    theta = np.radians(turn)
    c, s = np.cos(theta) / zoom, np.sin(theta) / zoom
    half = (side - 1) / 2
    # image = centre + R(turn)^T (crop - half) / zoom: the inverse of turning the image by ``turn``
    back = np.array([[c, -s, centre[0] - c * half + s * half], [s, c, centre[1] - s * half - c * half]])
    crop = cv2.warpAffine(pixels, back, (side, side), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                          borderMode=cv2.BORDER_REPLICATE)
    return np.ascontiguousarray(crop), back


def _describe(located: list[_Located], scale: float, *, network: bool = True) -> list[Face]:
    """Descriptors of all confirmed faces in one batched call (empty ones without ``network``); boxes and
    landmarks in full-image pixels (``scale``: ``pixels`` width / full width)."""
    import dlib

    if not located:
        return []
    descriptors: list[Any] = [[np.empty(0, np.float32)]] * len(located)
    if network:
        shapes = []
        for item in located:
            one = dlib.full_object_detections()
            one.append(item.shape)
            shapes.append(one)
        descriptors = _models()[1].compute_face_descriptor([c.crop for c in located], shapes)
    faces = []
    for item, vectors in zip(located, descriptors, strict=True):
        points = np.array([(p.x, p.y) for p in item.shape.parts()], np.float64)
        points = np.c_[points, np.ones(len(points))] @ item.back.T / scale
        faces.append(Face(_box(item, scale), tuple((round(px), round(py)) for px, py in points),
                          np.asarray(vectors[0], dtype=np.float32), item.score))
    return faces


def _box(item: _Located, scale: float) -> Box:
    """A confirmed face's x, y, w, h in full-image pixels (``scale``: ``pixels`` width / full width)."""
    x0, y0, x1, y1 = (max(0.0, v / scale) for v in item.box)
    return round(x0), round(y0), max(1, round(x1 - x0)), max(1, round(y1 - y0))


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
        faces = detect_faces(media.image.rgb, scale=media.image.scale,
                             full=(lambda: _full_pixels(media)) if media.data else None)
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


def _full_pixels(media: Media) -> np.ndarray:
    """The photo decoded at full resolution (a face was found in the reduced decode the hashes use)."""
    from reclaim.media import decode_image

    return decode_image(media.data, media.name, media.limits, fast=False).rgb
