"""PDQ hex strings in, Hamming radius search out: the string-level adapter over a code-level index."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from reclaim.index.base import Index, IndexMatch


def hex_to_codes(values: Sequence[str]) -> np.ndarray:
    """PDQ hex (64 digits, most significant bit first) → (n, 32) uint8."""
    return np.frombuffer(bytes.fromhex("".join(values)), dtype=np.uint8).reshape(len(values), 32)


class PDQHashIndex(Index):
    def __init__(self) -> None:
        from reclaim.index.pdq_mih import PDQIndex  # numba: loaded by whoever searches, not by whoever hashes

        self._codes = PDQIndex()

    def add(self, refs: Sequence[int], values: Sequence[str]) -> None:
        if refs:
            self._codes.add(np.asarray(refs, dtype=np.int64), hex_to_codes(values))

    def remove(self, refs: Sequence[int]) -> None:
        if refs:
            self._codes.remove(np.asarray(refs, dtype=np.int64))

    def query(self, value: str, max_distance: float) -> list[IndexMatch]:
        ids, dists = self._codes.search(hex_to_codes([value]), radius=int(max_distance))[0]
        return [IndexMatch(int(d), int(i)) for i, d in zip(ids, dists, strict=True)]

    def __len__(self) -> int:
        return len(self._codes)
