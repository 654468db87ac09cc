"""A set of local features of one image (positions + 256-bit binary descriptors) and its stored form.

One image's features travel as a single blob (one database row per image, never one per descriptor), in a
documented little-endian layout that any language can read (no pickle)::

    magic  b"RKP1"
    u16    width, height        size of the bounded copy the positions refer to
    u16    n, m                 keypoints on the image, then on its mirror image
    (n+m) x 2 u16               x, y in 1/32 px (positions up to 2047 px)
    (n+m) x 32 u8               ORB descriptors

The mirror set is in the mirror image's own coordinates (x' = width - 1 - x). About 36 bytes a keypoint,
so 500 + 500 keypoints are ~36 kB.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np

from reclaim.errors import InvalidHash, UserError

MAGIC = b"RKP1"
DESCRIPTOR_BYTES = 32
_HEADER = struct.Struct("<4sHHHH")
_FIXED_POINT = 32.0
INSTALL_HINT = "keypoint matching needs the keypoints extra: pip install 'reclaim[keypoints]'"


@cache
def opencv() -> Any:
    """The cv2 module (an optional extra), imported on first use so the core runs without it."""
    try:
        import cv2
    except ImportError as exc:
        raise UserError(INSTALL_HINT) from exc
    cv2.setNumThreads(1)  # workers are processes already; threads would only contend for the cores
    return cv2


@dataclass(frozen=True, eq=False)
class Features:
    """Keypoint positions ``xy`` (n, 2) float32 and descriptors (n, 32) uint8 in one image's pixels."""

    xy: np.ndarray
    descriptors: np.ndarray

    def __len__(self) -> int:
        return len(self.descriptors)

    @classmethod
    def empty(cls) -> Features:
        return cls(np.zeros((0, 2), np.float32), np.zeros((0, DESCRIPTOR_BYTES), np.uint8))


@dataclass(frozen=True, eq=False)
class KeypointSet:
    """Features of an image and of its mirror image, in a ``width`` x ``height`` bounded copy."""

    width: int
    height: int
    plain: Features
    mirror: Features

    def to_blob(self) -> bytes:
        parts = [_HEADER.pack(MAGIC, self.width, self.height, len(self.plain), len(self.mirror))]
        for feats in (self.plain, self.mirror):
            parts.append(np.round(feats.xy * _FIXED_POINT).astype("<u2").tobytes())
        for feats in (self.plain, self.mirror):
            parts.append(np.ascontiguousarray(feats.descriptors, np.uint8).tobytes())
        return b"".join(parts)

    @classmethod
    def from_blob(cls, blob: bytes) -> KeypointSet:
        """Read a blob written by ``to_blob``; anything else is an InvalidHash."""
        if len(blob) < _HEADER.size:
            raise InvalidHash(f"keypoint blob too short ({len(blob)} bytes)")
        magic, width, height, n, m = _HEADER.unpack_from(blob)
        total = n + m
        if magic != MAGIC or len(blob) != _HEADER.size + total * (4 + DESCRIPTOR_BYTES):
            raise InvalidHash(f"not a keypoint blob (magic {magic!r}, {len(blob)} bytes for {total} keypoints)")
        xy = np.frombuffer(blob, "<u2", total * 2, _HEADER.size).reshape(total, 2).astype(np.float32)
        xy /= _FIXED_POINT
        desc = np.frombuffer(blob, np.uint8, total * DESCRIPTOR_BYTES, _HEADER.size + total * 4)
        desc = desc.reshape(total, DESCRIPTOR_BYTES)
        return cls(width, height, Features(xy[:n], desc[:n]), Features(xy[n:], desc[n:]))
