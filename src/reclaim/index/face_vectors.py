"""Face descriptors: their text form, and exact nearest-neighbour search by Euclidean distance.

A stored face value is ``x,y,w,h@<256 hex digits>``: the face's box in the full image (so a match can say
where the face is), then the dlib descriptor quantised to int8 at 1/254 (its components stay within ±0.5;
the rounding moves a distance by ~0.01, far below the 0.5/0.6 thresholds). Hex, like every other hash
text, so it is case-insensitive. A face seen in a video or an animation ends with ``@<seconds>``, the time of
its frame (``face_time``): the store keeps values, not extras, and a match must say when the face shows.
Search is brute force over a float32 matrix: exact, and ~5 ms per query at 10^5
descriptors. Beyond ``APPROXIMATE_FROM`` descriptors a FAISS HNSW graph answers instead (built on first query
after a change; recall against exact search is measured in bench/face_index.py), when FAISS is installed
(``reclaim[keypoints]`` brings it); without it, search stays exact. Building the graph takes minutes at
10^5 descriptors, so with a ``cache_dir`` it is kept in ``faces-<digest>.hnsw``, named by the digest of the
refs, descriptors and graph settings: the same enrolment reopens it in a second, any change builds a new one
(and the old file is deleted). ``drop_graph_files`` deletes them all, so a withdrawn person's descriptors do
not outlive their removal on disk.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from reclaim._files import atomic_path
from reclaim.errors import InvalidHash
from reclaim.index.base import Index, IndexMatch

DIMENSIONS = 128
_SCALE = 254.0
APPROXIMATE_FROM = 100_000
HNSW_LINKS, HNSW_BUILD, HNSW_SEARCH = 32, 200, 128  # M, efConstruction, efSearch: recall >= 0.99 measured
GRAPH_PREFIX, GRAPH_SUFFIX = "faces-", ".hnsw"
NEIGHBOURS = 64  # an approximate query looks at this many nearest descriptors, then keeps those in range
Box = tuple[int, int, int, int]


def pack_face(descriptor: np.ndarray, box: Box, at: float | None = None) -> str:
    """Descriptor, box and (in a video) the frame's time in seconds → the stored text form (module docstring)."""
    vector = np.asarray(descriptor, dtype=np.float32).reshape(-1)
    if vector.shape != (DIMENSIONS,):
        raise InvalidHash(f"a face descriptor has {DIMENSIONS} numbers, got {vector.size}")
    quantised: np.ndarray = np.clip(np.rint(vector * _SCALE), -127, 127).astype(np.int8)
    when = "" if at is None else f"@{round(float(at), 3)!r}"
    return ",".join(str(int(v)) for v in box) + "@" + quantised.tobytes().hex() + when


def unpack_face(text: str) -> tuple[np.ndarray, Box]:
    """The stored text form → (float32 descriptor, box); InvalidHash says what is wrong."""
    box_text, _, encoded = text.strip().partition("@")
    encoded, _, _ = encoded.partition("@")
    face_time(text)  # a value with a malformed time is refused whole
    try:
        raw = bytes.fromhex(encoded)
        box = tuple(int(v) for v in box_text.split(","))
    except ValueError as exc:
        raise InvalidHash(f"not a face value ('x,y,w,h@<hex>'): {text.strip()[:80]!r}") from exc
    if len(raw) != DIMENSIONS or len(encoded) != 2 * DIMENSIONS or len(box) != 4 or min(box[2:]) <= 0:
        raise InvalidHash(f"not a face value (box x,y,w,h @ {2 * DIMENSIONS} hex digits): {text.strip()[:80]!r}")
    return np.frombuffer(raw, dtype=np.int8).astype(np.float32) / _SCALE, box


def face_time(text: str) -> float | None:
    """The time in seconds of the frame a stored face was seen in; None for a photo's face."""
    parts = text.strip().split("@")
    if len(parts) < 3:
        return None
    try:
        at = float(parts[2])
    except ValueError as exc:
        raise InvalidHash(f"not a face value (time after the descriptor): {text.strip()[:80]!r}") from exc
    if len(parts) > 3 or not 0 <= at < float("inf"):
        raise InvalidHash(f"not a face value (time after the descriptor): {text.strip()[:80]!r}")
    return at


class FaceVectorIndex(Index):
    """Exact Euclidean search over descriptors; ``refs`` are the caller's ids (e.g. identity source rows)."""

    def __init__(self, *, approximate_from: int = APPROXIMATE_FROM, cache_dir: Path | None = None) -> None:
        self._refs = np.empty(0, dtype=np.int64)
        self._vectors = np.empty((0, DIMENSIONS), dtype=np.float32)
        self.approximate_from = approximate_from
        self.cache_dir = cache_dir
        self._graph: Any = None  # the HNSW graph over _vectors, or None until needed (and after any change)

    def add(self, refs: Sequence[int], values: Sequence[str]) -> None:
        self.add_vectors(refs, np.array([unpack_face(v)[0] for v in values], dtype=np.float32))

    def add_vectors(self, refs: Sequence[int], vectors: np.ndarray) -> None:
        vectors = np.asarray(vectors, dtype=np.float32).reshape(-1, DIMENSIONS)
        if len(refs) != len(vectors):
            raise ValueError(f"{len(refs)} refs for {len(vectors)} descriptors")
        self.remove(refs)  # re-adding a ref replaces its descriptor
        self._refs = np.concatenate([self._refs, np.asarray(refs, dtype=np.int64)])
        self._vectors = np.concatenate([self._vectors, vectors])
        self._graph = None

    def remove(self, refs: Sequence[int]) -> None:
        keep = ~np.isin(self._refs, np.asarray(refs, dtype=np.int64))
        if not keep.all():
            self._refs, self._vectors, self._graph = self._refs[keep], self._vectors[keep], None

    def query(self, value: str, max_distance: float) -> list[IndexMatch]:
        return self.query_vector(unpack_face(value)[0], max_distance)

    @property
    def approximate(self) -> bool:
        """True when queries go to the HNSW graph (enough descriptors, and FAISS installed)."""
        return len(self._refs) >= self.approximate_from and _faiss() is not None

    def query_vector(self, vector: np.ndarray, max_distance: float) -> list[IndexMatch]:
        """Every stored descriptor within ``max_distance``, nearest first (ties by ref); past
        ``approximate_from`` descriptors, those among the NEIGHBOURS nearest the graph finds."""
        query = np.asarray(vector, dtype=np.float32).reshape(1, DIMENSIONS)
        if self.approximate:
            squared, rows = self._hnsw().search(query, min(NEIGHBOURS, len(self._refs)))
            found = [(float(np.sqrt(max(d, 0.0))), int(r)) for d, r in zip(squared[0], rows[0], strict=True) if r >= 0]
            return sorted(IndexMatch(d, int(self._refs[r])) for d, r in found if d <= max_distance)
        dist = np.linalg.norm(self._vectors - query, axis=1)
        hit = np.flatnonzero(dist <= max_distance)
        return sorted(IndexMatch(float(dist[i]), int(self._refs[i])) for i in hit)

    def _hnsw(self) -> Any:
        if self._graph is None:
            faiss = _faiss()
            path = self._graph_path()
            if path is not None and path.exists():
                graph = faiss.read_index(str(path))
            else:
                graph = faiss.IndexHNSWFlat(DIMENSIONS, HNSW_LINKS)
                graph.hnsw.efConstruction = HNSW_BUILD
                graph.add(np.ascontiguousarray(self._vectors))
                if path is not None:
                    self._save_graph(graph, path)
            graph.hnsw.efSearch = HNSW_SEARCH
            self._graph = graph
        return self._graph

    def _graph_path(self) -> Path | None:
        if self.cache_dir is None:
            return None
        digest = hashlib.sha256(f"{HNSW_LINKS},{HNSW_BUILD}".encode())
        digest.update(self._refs.tobytes())
        digest.update(np.ascontiguousarray(self._vectors).tobytes())
        return self.cache_dir / f"{GRAPH_PREFIX}{digest.hexdigest()[:32]}{GRAPH_SUFFIX}"

    @staticmethod
    def _save_graph(graph: Any, path: Path) -> None:
        """Written whole under a temporary name, then renamed: a killed process never leaves half a graph."""
        path.parent.mkdir(parents=True, exist_ok=True)
        drop_graph_files(path.parent)
        with atomic_path(path, sync_dir=False) as partial:
            _faiss().write_index(graph, str(partial))

    def __len__(self) -> int:
        return len(self._refs)


def drop_graph_files(cache_dir: Path) -> int:
    """Delete every saved face graph in ``cache_dir`` (after a removal); returns how many there were."""
    found = list(cache_dir.glob(f"{GRAPH_PREFIX}*")) if cache_dir.is_dir() else []
    for path in found:
        path.unlink(missing_ok=True)
    return len(found)


@cache
def _faiss() -> Any:
    try:
        import faiss
    except ImportError:
        return None
    return faiss
