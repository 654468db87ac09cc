"""Local binary features (OpenCV ORB) so crops, banners, screenshots, stickers, mirrors and collages of a
known image can still be found after PDQ, a global hash, has missed them.

ORB runs on a grey copy whose long side is brought to ``MAX_SIDE`` px (cost and storage stay flat whatever
the upload size), once on the image and once on its mirror image: ORB descriptors are not mirror-invariant,
and computing the mirror here keeps the signal a pure function of the pixels, so bank entries and queries are alike.
Small images are enlarged too (up to ``MAX_ENLARGE``): a screenshot or collage shows a known image at a
third to a half of its size, and at 640 px such a cell kept too few keypoints to be verified
(bench/keypoints.py: screenshots 90 %, collages 82 % found at 640 px and 1000 features; 98 % and 93 % at
1024 px and 2000).

Storage: the text ``value`` is the SHA-256 of the blob (it fits the 200-character value column, identifies
the set and passes the signal contract); the features themselves are one ``blob`` per bank entry or item in
the ``content_signals.blob`` / ``item_signals.blob`` column (migration ``keypoint_blobs``), ~36 bytes a
keypoint, up to ~144 kB an image, layout in ``index.keypoint_set``. Two sets are compared by
``index.keypoints.KeypointIndex`` plus geometric verification, not by their text; ``distance`` on texts
only tells identical sets apart.

Keypoint sets stay local: local features can be inverted into a coarse picture, so they are never put in
an HMA hash list. The signal is opt-in (``Signal.opt_in``): a plain scan does not pay for it.
Needs the ``keypoints`` extra (opencv-python-headless).
"""

from __future__ import annotations

import hashlib
import importlib.util
from typing import Any

import numpy as np

from reclaim.errors import InvalidHash, SignalError
from reclaim.index.base import ExactIndex
from reclaim.index.keypoint_set import Features, KeypointSet, opencv
from reclaim.index.keypoints import MIRROR_VOTERS
from reclaim.models import MediaKind, SignalValue
from reclaim.signals.base import Media, Signal
from reclaim.signals.shrink import shrink

MAX_SIDE = 1024
MAX_ENLARGE = 2.0
N_FEATURES = 2000  # a collage shares them among its images; the index keeps a bank entry's strongest 500
GRID, OVERDETECT = 6, 5  # features are spread over a 6 x 6 grid, chosen from 5 x N_FEATURES detected
FAST_THRESHOLD = 7  # OpenCV's default (20) leaves smooth photos and quiet cells without corners
# A smooth photo (soft gradients, few sharp shapes) can still give a few hundred corners at FAST_THRESHOLD: a
# crop of bench/case.py's original_0020.jpg kept 148 (the original 156), 8 inliers where the floor was 12, and
# was missed. Under SMOOTH_FEATURES corners the picture is detected again at SMOOTH_THRESHOLD (1,484 and 1,931
# corners there at 5, 2,000 each at 3; 99 distinct inliers at 3). About 1 photo in 8 of that room is this smooth.
SMOOTH_FEATURES = 500
SMOOTH_THRESHOLD = 3
ORB_SCALE, ORB_LEVELS = 1.2, 8  # between pyramid levels, and how many
# A query votes with its mirror image's strongest MIRROR_VOTERS features (index.keypoints), a bank entry with
# none, so only as many are kept (MIRROR_FEATURES). They are the plain features' mirrored spots: FAST corners
# and Harris scores are symmetric, so detecting again on the mirror image found the same spots (99.6 % within
# 1.5 px and 20 bits of the 200 strongest, on 40 photos of bench/case.py's room) at 10.3 ms against 4.3 ms for
# describing them there.
MIRROR_FEATURES = MIRROR_VOTERS
_HEX = frozenset("0123456789abcdef")


def keypoints_available() -> bool:
    return all(importlib.util.find_spec(m) is not None for m in ("cv2", "faiss"))


def bank_opt_in() -> frozenset[str]:
    """Bank entries get keypoint sets whenever the extra is installed, so the keypoint stage can find them."""
    return frozenset({KeypointsSignal.name}) if keypoints_available() else frozenset()


def sized_grey(rgb: np.ndarray, side: int = MAX_SIDE) -> np.ndarray:
    """A grey copy whose long side is ``side`` (enlarged at most ``MAX_ENLARGE`` times)."""
    cv2 = opencv()
    grey: np.ndarray = cv2.cvtColor(np.ascontiguousarray(rgb, np.uint8), cv2.COLOR_RGB2GRAY)
    scale = min(side / max(grey.shape), MAX_ENLARGE)
    size = (max(1, round(grey.shape[1] * scale)), max(1, round(grey.shape[0] * scale)))
    if scale < 1:
        return shrink(grey, size)
    return grey if scale == 1 else np.asarray(cv2.resize(grey, size, interpolation=cv2.INTER_LINEAR))


def _orb_features(grey: np.ndarray, n_features: int) -> tuple[Features, list[Any]]:
    """ORB keypoints spread over a ``GRID`` x ``GRID`` grid, strongest first (so the index can keep a known
    image's strongest few), as features and as OpenCV's keypoints.

    ORB alone keeps the image's strongest corners, so a busy region takes them all and a quiet one (a
    collage cell with a smooth picture, the known image inside a screenshot) keeps too few to be verified.
    ``OVERDETECT`` times as many are detected, then taken round-robin from the grid cells, strongest first in
    each, so every region keeps its share. ``FAST_THRESHOLD`` is low for the same reason: a smooth picture (a
    clock face, a cell micrograph) or a quiet cell must have corners to choose from at all, and a higher one
    left a 1024 px clock face with ~200. Neither lets a false match through: verification, not the number of
    features, decides a match (bench/keypoints.py measures recall and false matches).
    """
    keypoints, descriptors = _detect(grey, n_features, FAST_THRESHOLD)
    if len(keypoints) < SMOOTH_FEATURES:
        keypoints, descriptors = _detect(grey, n_features, SMOOTH_THRESHOLD)
    if descriptors is None or not keypoints:
        return Features.empty(), []
    xy = np.array([kp.pt for kp in keypoints], np.float32).reshape(-1, 2)
    strength = np.array([kp.response for kp in keypoints], np.float32)
    height, width = grey.shape
    column = np.minimum(xy[:, 0] * GRID // width, GRID - 1)
    row = np.minimum(xy[:, 1] * GRID // height, GRID - 1)
    cell = (row * GRID + column).astype(np.int64)
    by_cell = np.lexsort((-strength, cell))  # each cell's keypoints, strongest first
    first = np.r_[0, np.flatnonzero(np.diff(cell[by_cell])) + 1]
    rank = np.empty(len(by_cell), np.int64)
    rank[by_cell] = np.arange(len(by_cell)) - np.repeat(first, np.diff(np.r_[first, len(by_cell)]))
    chosen = np.lexsort((-strength, rank))[:n_features]  # every cell's best, then every cell's second, ...
    chosen = chosen[np.argsort(-strength[chosen], kind="stable")]
    return Features(xy[chosen], descriptors[chosen]), [keypoints[i] for i in chosen]


def _mirror_features(grey: np.ndarray, keypoints: list[Any]) -> Features:
    """Features of ``grey``'s mirror image at the mirrored spots of ``keypoints`` (strongest first), in the
    mirror image's coordinates. A spot found at pyramid level k is mirrored in that level's own width, so its
    descriptor is read where a detection on the mirror image would have put it."""
    cv2 = opencv()
    width = grey.shape[1]
    mirrored = []
    for k in keypoints:
        scale = ORB_SCALE ** k.octave
        x = scale * (round(width / scale) - 1) - k.pt[0]
        mirrored.append(cv2.KeyPoint(x, k.pt[1], k.size, (180.0 - k.angle) % 360.0, k.response, k.octave))
    orb = cv2.ORB_create(scaleFactor=ORB_SCALE, nlevels=ORB_LEVELS)
    kept, descriptors = orb.compute(np.ascontiguousarray(grey[:, ::-1]), mirrored)
    if descriptors is None or not kept:
        return Features.empty()
    order = np.argsort([-k.response for k in kept], kind="stable")  # ORB hands them back by level
    xy = np.array([k.pt for k in kept], np.float32).reshape(-1, 2)
    return Features(xy[order], descriptors[order])


def _detect(grey: np.ndarray, n_features: int, threshold: int) -> tuple[Any, np.ndarray | None]:
    """OpenCV's ORB keypoints and descriptors at FAST ``threshold`` (``OVERDETECT`` times ``n_features`` at most)."""
    cv2 = opencv()
    orb = cv2.ORB_create(nfeatures=OVERDETECT * n_features, scaleFactor=ORB_SCALE, nlevels=ORB_LEVELS,
                         fastThreshold=threshold)
    keypoints, descriptors = orb.detectAndCompute(grey, None)
    return keypoints, descriptors


def extract_keypoints(rgb: np.ndarray, n_features: int = N_FEATURES) -> KeypointSet:
    """Features of ``rgb`` and of its mirror image; a flat image gives empty sets, not an error."""
    grey = sized_grey(rgb)
    plain, keypoints = _orb_features(grey, n_features)
    return KeypointSet(grey.shape[1], grey.shape[0], plain, _mirror_features(grey, keypoints[:MIRROR_FEATURES]))


class KeypointsSignal(Signal):
    name = "keypoints"
    version = "orb7"  # orb6: the grey copy shrunk by INTER_AREA alone; orb5: the mirror set detected again,
    # 2,000 features; orb4: no second detection of smooth pictures; orb3: FAST threshold 12, 3x over-detected;
    # orb2: strongest 2000 anywhere; orb1: 640 px
    compatible = frozenset({"orb4", "orb5", "orb6", "orb7"})  # sets the keypoint stage compares: orb6's grey
    # copies differ from orb7's by less than a grey level on average; orb4's are orb5's minus the second detection
    # of smooth pictures; orb5's mirror sets are searched by their first MIRROR_FEATURES, as orb6's; bank
    # entries' mirror sets are never searched (bank entries need no rehashing; a case's items are hashed again)
    media_kinds = frozenset({MediaKind.PHOTO})
    needs = "pixels"
    opt_in = True
    default_threshold = 0.0  # identical sets only; similarity is judged by the keypoint stage
    index_cls = ExactIndex

    def compute(self, media: Media) -> list[SignalValue]:
        if media.image is None:
            raise SignalError(f"{media.name}: keypoints need decoded pixels")
        kset = extract_keypoints(media.image.rgb)
        blob = kset.to_blob()
        extras = {"keypoints": len(kset.plain), "size": [kset.width, kset.height]}
        return [SignalValue(self.name, self.version, hashlib.sha256(blob).hexdigest(), None, extras, blob)]

    def parse(self, text: str) -> str:
        value = text.strip().lower()
        if len(value) != 64 or not set(value) <= _HEX:
            raise InvalidHash(f"not a keypoints digest (64 hex digits): {text.strip()[:80]!r}")
        return value

    def distance(self, a: str, b: str) -> float:
        return 0.0 if self.parse(a) == self.parse(b) else 1.0

    def examples(self) -> list[str]:
        return [hashlib.sha256(KeypointSet(0, 0, Features.empty(), Features.empty()).to_blob()).hexdigest()]
