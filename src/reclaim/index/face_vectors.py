"""Face descriptors: their text form, and exact nearest-neighbour search by Euclidean distance.

A stored face value is ``x,y,w,h@<256 hex digits>``: the face's box in the full image (so a match can say
where the face is), then the dlib descriptor quantised to int8 at 1/254 (its components stay within ±0.5;
the rounding moves a distance by ~0.01, far below the 0.5/0.6 thresholds). Hex, like every other hash
text, so it is case-insensitive. Search is brute force over a float32 matrix: exact, and ~5 ms per query at 10^5
descriptors; an approximate index (FAISS, hnswlib) is only worth it beyond that.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from reclaim.errors import InvalidHash
from reclaim.index.base import Index, IndexMatch

DIMENSIONS = 128
_SCALE = 254.0
Box = tuple[int, int, int, int]


def pack_face(descriptor: np.ndarray, box: Box) -> str:
    """Descriptor and box → the stored text form (see the module docstring)."""
    vector = np.asarray(descriptor, dtype=np.float32).reshape(-1)
    if vector.shape != (DIMENSIONS,):
        raise InvalidHash(f"a face descriptor has {DIMENSIONS} numbers, got {vector.size}")
    quantised = np.clip(np.rint(vector * _SCALE), -127, 127).astype(np.int8)
    return ",".join(str(int(v)) for v in box) + "@" + quantised.tobytes().hex()


def unpack_face(text: str) -> tuple[np.ndarray, Box]:
    """The stored text form → (float32 descriptor, box); InvalidHash says what is wrong."""
    box_text, _, encoded = text.strip().partition("@")
    try:
        raw = bytes.fromhex(encoded)
        box = tuple(int(v) for v in box_text.split(","))
    except ValueError as exc:
        raise InvalidHash(f"not a face value ('x,y,w,h@<hex>'): {text.strip()[:80]!r}") from exc
    if len(raw) != DIMENSIONS or len(encoded) != 2 * DIMENSIONS or len(box) != 4 or min(box[2:]) <= 0:
        raise InvalidHash(f"not a face value (box x,y,w,h @ {2 * DIMENSIONS} hex digits): {text.strip()[:80]!r}")
    return np.frombuffer(raw, dtype=np.int8).astype(np.float32) / _SCALE, box  # type: ignore[return-value]


class FaceVectorIndex(Index):
    """Exact Euclidean search over descriptors; ``refs`` are the caller's ids (e.g. identity source rows)."""

    def __init__(self) -> None:
        self._refs = np.empty(0, dtype=np.int64)
        self._vectors = np.empty((0, DIMENSIONS), dtype=np.float32)

    def add(self, refs: Sequence[int], values: Sequence[str]) -> None:
        self.add_vectors(refs, np.array([unpack_face(v)[0] for v in values], dtype=np.float32))

    def add_vectors(self, refs: Sequence[int], vectors: np.ndarray) -> None:
        vectors = np.asarray(vectors, dtype=np.float32).reshape(-1, DIMENSIONS)
        if len(refs) != len(vectors):
            raise ValueError(f"{len(refs)} refs for {len(vectors)} descriptors")
        self.remove(refs)  # re-adding a ref replaces its descriptor
        self._refs = np.concatenate([self._refs, np.asarray(refs, dtype=np.int64)])
        self._vectors = np.concatenate([self._vectors, vectors])

    def remove(self, refs: Sequence[int]) -> None:
        keep = ~np.isin(self._refs, np.asarray(refs, dtype=np.int64))
        self._refs, self._vectors = self._refs[keep], self._vectors[keep]

    def query(self, value: str, max_distance: float) -> list[IndexMatch]:
        return self.query_vector(unpack_face(value)[0], max_distance)

    def query_vector(self, vector: np.ndarray, max_distance: float) -> list[IndexMatch]:
        """Every stored descriptor within ``max_distance``, nearest first (ties by ref)."""
        dist = np.linalg.norm(self._vectors - np.asarray(vector, dtype=np.float32), axis=1)
        hit = np.flatnonzero(dist <= max_distance)
        return sorted(IndexMatch(float(dist[i]), int(self._refs[i])) for i in hit)

    def __len__(self) -> int:
        return len(self._refs)
