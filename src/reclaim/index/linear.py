"""Brute-force reference indexes: obviously correct, and the yardstick every fast index is tested against.

``LinearPDQIndex`` keeps 256-bit codes as an (n, 4) uint64 array and scans all of them per query with
``np.bitwise_count``; it is exact and fine up to ~10^5 codes. ``PDQIndex`` (pdq_mih.py) shares its API.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

CODE_BYTES = 32


def as_codes(codes: np.ndarray) -> np.ndarray:
    """Validate an (n, 32) uint8 array of PDQ codes and return it C-contiguous."""
    arr = np.ascontiguousarray(codes, dtype=np.uint8)
    if arr.ndim != 2 or arr.shape[1] != CODE_BYTES:
        raise ValueError(f"codes must have shape (n, {CODE_BYTES}), got {arr.shape}")
    return arr


class LinearPDQIndex:
    """Exact Hamming radius search by scanning every stored code."""

    def __init__(self) -> None:
        self._ids = np.empty(0, dtype=np.int64)
        self._words = np.empty((0, 4), dtype=np.uint64)

    def __len__(self) -> int:
        return len(self._ids)

    def add(self, ids: np.ndarray, codes: np.ndarray) -> None:
        ids = np.asarray(ids, dtype=np.int64).ravel()
        words = as_codes(codes).view(np.uint64)
        if len(ids) != len(words):
            raise ValueError(f"{len(ids)} ids for {len(words)} codes")
        self.remove(ids)  # re-adding an id replaces its code
        self._ids = np.concatenate([self._ids, ids])
        self._words = np.concatenate([self._words, words])

    def remove(self, ids: np.ndarray) -> None:
        keep = ~np.isin(self._ids, np.asarray(ids, dtype=np.int64))
        self._ids, self._words = self._ids[keep], self._words[keep]

    def search(self, codes: np.ndarray, radius: int = 31) -> list[tuple[np.ndarray, np.ndarray]]:
        """For each query code, (ids, distances) of stored codes within ``radius``, nearest first."""
        results = []
        for query in as_codes(codes).view(np.uint64):
            dist = np.bitwise_count(self._words ^ query).sum(axis=1, dtype=np.int32)
            hit = np.flatnonzero(dist <= radius)
            order = np.lexsort((self._ids[hit], dist[hit]))
            results.append((self._ids[hit][order], dist[hit][order]))
        return results

    def save(self, path: str | Path) -> None:
        np.savez(path, ids=self._ids, words=self._words)

    @classmethod
    def load(cls, path: str | Path) -> LinearPDQIndex:
        index = cls()
        with np.load(path, allow_pickle=False) as data:
            index._ids, index._words = data["ids"], data["words"]
        return index
