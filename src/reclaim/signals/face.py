"""Faces: where each face is and a 128-d descriptor of it (dlib's HOG detector and ResNet, 5-point alignment).

Optional: ``pip install 'reclaim[faces]'`` brings ``dlib-bin`` (a wheel; the ``dlib`` sdist takes >10 min
to build) and ``face-recognition-models`` (the model files). That package's ``__init__`` imports
``pkg_resources``, gone from setuptools >= 81, so its files are found with ``find_spec`` and never imported.
The 5-point landmark model is used (the 68-point one carries a no-commercial-use note on its training set).

Detection has two stages, so a photo without a face costs a few tens of ms instead of every HOG pass:
1. a fast first detector proposes candidates (face_cascade.py: OpenCV's LBP frontal cascade, shipped in
   scikit-image's wheel, in a numba kernel), on grey copies: upright faces from 40 px, faces turned 13-62
   degrees from 96 px (copies turned +-25 and +-50 degrees), see ``PASSES``; a picture smaller than 1280x960
   (a video frame) is looked at for smaller turned faces, as many pixels as a photo's passes (640x360: from
   42 px). Its near misses (spots that pass 15 of its 18 stages: a face between two pyramid levels, or turned
   a little past the ~12 degrees it tolerates) get a closer look around themselves only (``refine``: every
   pixel, scale steps of 1.1, at the turn they were found at, a few ms each, at most ``MAX_NEAR`` per
   picture) and become candidates where 8 windows agree (faces gave 13 or more, texture up to 14). Looking
   at each near miss turned +-12 degrees too tripled that cost (~60 of ~170 ms CPU per face-less 1280x960
   photo of bench/case.py's room) and found no face more on the development seeds 23 and 31 or on the
   held-out 57 (30 cases per kind each);
2. only candidates pay for dlib: HOG checks each on a small upright crop (hits under ``MIN_SCORE``, a badge or
   a pattern, are dropped; a near hit, a face turned a little past what HOG takes upright, is checked again
   turned +-12 degrees), then landmarks and the descriptor on a full-resolution crop (the photo is decoded
   again at full size when the hashes' fast decode was reduced), all descriptors of a photo in one call.
Measured on 1280x960 face-less photos in one run on the loaded shared cores (CPU per photo, median): the HOG
passes used before ~1,000 ms; the cascade ~35-55 ms on generated scenes and ~250 ms on textured photos
(gravel, grass, a cat: their candidates each cost a HOG check); hashing the same photo ~80 ms. Candidates
measured and rejected: dlib's CNN (mmod) detector 730 ms at 320 px; scikit-image's own cascade code 800 ms at
640 px; HOG on a 320 px copy 12 ms but it sees only faces over a quarter of the photo; YuNet and Haar
cascades ship in no pip package here (OpenCV 5 wheels have neither cascades nor ``CascadeClassifier``).
Yaw (a head turned sideways) is not measured: the composites are flat pictures; the cascade is frontal, so
profiles are missed.
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
    from reclaim.signals.face_cascade import Candidate

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


# The fast first detector's passes (face_cascade.py): (smallest face in px of a 1280x960 picture, in-plane turns
# in degrees). Upright faces from 40 px; faces turned 13-62 degrees from 96 px (turned copies cost 4x, so they
# run on a coarser copy); a smaller picture is looked at for faces smaller by the square root of its share of
# PASS_PIXELS, never under MIN_FACE. Measured costs and recall: module docstring and bench/faces.py.
PASSES: tuple[tuple[float, tuple[float, ...]], ...] = ((40.0, (0.0,)), (96.0, (25.0, -25.0, 50.0, -50.0)))
PASS_PIXELS = 1280 * 960  # the picture size PASSES are set for
MIN_FACE = 40.0  # px: no pass looks for smaller faces
CROP = 2.4  # side of the region dlib describes around a candidate, in candidate sizes
CHECK_CROP = 2.0  # and of the one HOG checks (HOG's cost grows with its area)
CHECK_SIDE = 100  # px a candidate is scaled to for HOG (its window is 80 px)
# A face turned 12-20 degrees that the cascade accepted upright scores 0.3-0.5 in HOG's upright check (its
# "turned" filters half fit) and 1.0-1.5 once the crop is turned 12 degrees its way (2 of the 30 faces of
# bench/case.py's 10,000-item room were lost so). A hit scoring from NEAR_SCORE up to MIN_SCORE is checked
# again turned +-RETRY_TURN; false candidates of face-less photos score under -0.4 (591 of 594 checks in 200
# photos of that room; 1 between -0.4 and 0), so the retry costs them nothing.
NEAR_SCORE = 0.0
RETRY_TURN = 12.0
MAX_CANDIDATES = 16  # a picture full of face-like texture (gravel, foliage) costs at most this many checks
MAX_NEAR = 8  # near misses of the cascade scanned again closely (face_cascade.refine), deepest first


def detect_faces(rgb: np.ndarray, *, scale: float = 1.0,
                 passes: tuple[tuple[float, tuple[float, ...]], ...] = PASSES, max_faces: int = MAX_FACES,
                 full: Callable[[], np.ndarray] | None = None, describe: bool = True,
                 near: int = MAX_NEAR) -> list[Face]:
    """Faces in ``rgb`` (decoded at ``scale`` of the full image), largest first; boxes in full-image pixels.

    The cascade proposes candidates on grey copies (a few ms); only candidates pay for dlib (HOG check,
    landmarks, descriptor). ``full`` gives the full-resolution pixels when ``rgb`` is reduced: a face found
    is then described from them, decoded only once a candidate is confirmed worth it. ``describe=False``
    skips the descriptor network (the costliest step; attribution compares pixels, not descriptors): each
    face's descriptor is then empty, and comparing it with ``descriptor_distance`` raises. ``near``: how many of
    the cascade's near misses are looked at again closely (``face_cascade.refine``)."""
    checked, to_pixels = _confirmed(rgb, scale, passes, full, near)
    faces = _describe(checked[:max_faces], scale * to_pixels, network=describe)
    return sorted(faces, key=lambda f: -f.box[2] * f.box[3])


def face_boxes(rgb: np.ndarray) -> list[Box]:
    """The boxes ``detect_faces`` finds in ``rgb`` (full resolution), in no particular order, without paying
    for descriptors: for callers that only need where the faces are (provenance's JPEG-grid check)."""
    checked, _ = _confirmed(rgb, 1.0, PASSES, None, MAX_NEAR)
    return [_box(item, 1.0) for item in checked[:MAX_FACES]]


def _confirmed(rgb: np.ndarray, scale: float, passes: tuple[tuple[float, tuple[float, ...]], ...],
               full: Callable[[], np.ndarray] | None, near_misses: int) -> tuple[list[_Checked], float]:
    """The distinct candidates dlib confirmed, best first, and ``pixels`` width over ``rgb`` width."""
    if not faces_available():  # dlib checks every candidate: without it, say how to install, not ImportError
        raise UserError(INSTALL_HINT)
    cv2 = opencv()  # one thread, before any OpenCV call here: a pool started in a process hangs the workers it forks

    # numba: only where faces run
    from reclaim.signals.face_cascade import LOOSE, STAGES, candidates, load_cascade, refine

    rgb = np.ascontiguousarray(rgb, dtype=np.uint8)
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    found: list[Candidate] = []
    near: list[Candidate] = []
    # a picture smaller than a 1280x960 photo is scanned for smaller faces at the same cost as one (video frames)
    fewer = min(1.0, np.sqrt(grey.size / PASS_PIXELS))
    for min_face, turns in passes:
        shrink = min(1.0, load_cascade().window / max(MIN_FACE, min_face * fewer))
        small = cv2.resize(grey, None, fx=shrink, fy=shrink, interpolation=cv2.INTER_AREA) if shrink < 1 else grey
        for spot in candidates(small, load_cascade().window, turns, loose=LOOSE):
            (found if spot.depth >= STAGES else near).append(spot.scaled(1 / shrink))
    for spot in sorted(near, key=lambda c: (-c.depth, -c.votes))[:near_misses]:  # a closer look, still no dlib
        found += refine(grey, spot)
    if not found:
        return [], 1.0
    found = sorted(found, key=lambda c: (-c.votes, -c.size))[:MAX_CANDIDATES]
    pixels, to_pixels = rgb, 1.0
    if full is not None and scale < 1.0:
        pixels = np.ascontiguousarray(full(), dtype=np.uint8)
        to_pixels = pixels.shape[1] / rgb.shape[1]
    checked = [c for c in (_check(pixels, candidate, to_pixels) for candidate in found) if c is not None]
    return _distinct(checked), to_pixels


@dataclass(frozen=True)
class _Checked:
    """A candidate dlib confirmed: its crop (turned upright), the face in it, and the crop -> image map."""

    crop: np.ndarray
    shape: Any  # dlib.full_object_detection in crop pixels
    score: float
    back: np.ndarray  # 2x3: crop pixels -> ``pixels`` coordinates
    box: tuple[float, float, float, float]  # x0, y0, x1, y1 of the face's corners in ``pixels``


def _check(pixels: np.ndarray, candidate: Candidate, to_pixels: float) -> _Checked | None:
    """The costly pass, run only for a candidate: HOG on a small upright crop around it (the candidate scaled
    to ``CHECK_SIDE`` px, a few ms; turned +-``RETRY_TURN`` after a near hit), then the 5 landmarks on a crop
    at the picture's full resolution (enlarged only for a face under ``CHECK_SIDE`` px), so the descriptor
    sees every pixel of a large face."""
    import dlib

    detector, landmarks, _ = _models()
    cx, cy, size = candidate.x * to_pixels, candidate.y * to_pixels, candidate.size * to_pixels
    zoom = CHECK_SIDE / size
    for extra in (0.0, RETRY_TURN, -RETRY_TURN):
        turn = candidate.turn + extra
        crop, back = _crop(pixels, (cx, cy), round(CHECK_CROP * CHECK_SIDE), zoom, turn)
        hits = _run(detector, crop, 0)
        if not hits and extra == 0.0:
            return None  # nothing near a face here: no second look
        best = max(hits, key=lambda h: h[1], default=None)
        if best is not None and best[1] >= MIN_SCORE:
            rect, score = best
            # the face's square, upright around its centre: a turned face's box is not the (wider) upright box
            # around its turned square, so a face checked upright and turned gets one size either way
            mid_x, mid_y = back @ ((rect.left() + rect.right()) / 2, (rect.top() + rect.bottom()) / 2, 1.0)
            half = (rect.right() - rect.left()) / zoom / 2
            fine = max(1.0, zoom)  # full resolution, or the enlargement HOG needed
            full, full_back = _crop(pixels, (cx, cy), round(CROP * size * fine), fine, turn)
            ratio = fine / zoom  # check-crop px -> full-crop px (both centred on the candidate)
            centre_check, centre_full = (round(CHECK_CROP * CHECK_SIDE) - 1) / 2, (round(CROP * size * fine) - 1) / 2
            box = dlib.rectangle(*(round(centre_full + (v - centre_check) * ratio)
                                   for v in (rect.left(), rect.top(), rect.right(), rect.bottom())))
            return _Checked(full, landmarks(full, box), score, full_back,
                            (mid_x - half, mid_y - half, mid_x + half, mid_y + half))
    return None


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


def _distinct(checked: list[_Checked]) -> list[_Checked]:
    """One per face: candidates of the same face (several windows, turns) overlap; the best score stays."""
    kept: list[_Checked] = []
    for item in sorted(checked, key=lambda c: -c.score):
        x0, y0, x1, y1 = item.box
        if all(_overlap(item.box, k.box) < 0.3 for k in kept) and x1 > x0 and y1 > y0:
            kept.append(item)
    return kept


def _overlap(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = w * h
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def _describe(checked: list[_Checked], scale: float, *, network: bool = True) -> list[Face]:
    """Descriptors of all confirmed faces in one batched call (empty ones without ``network``); boxes and
    landmarks in full-image pixels (``scale``: ``pixels`` width / full width)."""
    import dlib

    if not checked:
        return []
    descriptors: list[Any] = [[np.empty(0, np.float32)]] * len(checked)
    if network:
        shapes = []
        for item in checked:
            one = dlib.full_object_detections()
            one.append(item.shape)
            shapes.append(one)
        descriptors = _models()[2].compute_face_descriptor([c.crop for c in checked], shapes)
    faces = []
    for item, vectors in zip(checked, descriptors, strict=True):
        points = np.array([(p.x, p.y) for p in item.shape.parts()], np.float64)
        points = np.c_[points, np.ones(len(points))] @ item.back.T / scale
        faces.append(Face(_box(item, scale), tuple((round(px), round(py)) for px, py in points),
                          np.asarray(vectors[0], dtype=np.float32), item.score))
    return faces


def _box(item: _Checked, scale: float) -> Box:
    """A confirmed face's x, y, w, h in full-image pixels (``scale``: ``pixels`` width / full width)."""
    x0, y0, x1, y1 = (max(0.0, v / scale) for v in item.box)
    return round(x0), round(y0), max(1, round(x1 - x0)), max(1, round(y1 - y0))


def _run(detector: Any, image: np.ndarray, upsample: int) -> list[tuple[Any, float]]:
    """HOG's hits scoring ``NEAR_SCORE`` or more: confirmed from ``MIN_SCORE``, worth a turned second look below."""
    rects, scores, _ = detector.run(image, upsample, NEAR_SCORE)
    return [(r, float(s)) for r, s in zip(rects, scores, strict=True) if s >= NEAR_SCORE]


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
