"""Many short strings as two arrays: their UTF-8 bytes end to end, and where each one ends.

Why: the PDQ cache keeps every active hash's content id beside the index, so a lookup's hit needs no database
read; a million ids stored this way load by memory map in no time, where a million Python strings would take
seconds and ~60 MB per worker.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def _gather(data: np.ndarray, starts: np.ndarray, lengths: np.ndarray, out: np.ndarray) -> None:
    """Copy the byte runs ``data[starts[i]:starts[i] + lengths[i]]`` end to end into ``out``."""
    at = 0
    for i in range(starts.shape[0]):
        out[at : at + lengths[i]] = data[starts[i] : starts[i] + lengths[i]]
        at += lengths[i]


@dataclass(frozen=True)
class TextColumn:
    data: np.ndarray  # (bytes,) uint8: every string's UTF-8, end to end
    ends: np.ndarray  # (n,) int64: string i is data[ends[i - 1]:ends[i]] (from 0 for the first)

    @classmethod
    def of(cls, texts: Sequence[str]) -> TextColumn:
        encoded = [text.encode() for text in texts]
        ends = np.cumsum(np.fromiter(map(len, encoded), np.int64, len(encoded)))
        return cls(np.frombuffer(b"".join(encoded), np.uint8).copy(), ends)

    @classmethod
    def restore(cls, data: np.ndarray, ends: np.ndarray) -> TextColumn:
        """A column from saved arrays; ValueError unless every string lies inside ``data``."""
        if data.dtype != np.uint8 or ends.dtype != np.int64 or data.ndim != 1 or ends.ndim != 1:
            raise ValueError("text column arrays have the wrong types")
        if len(ends) and (ends[0] < 0 or np.any(ends[1:] < ends[:-1]) or ends[-1] != len(data)):
            raise ValueError("text column ends are not ascending within the data")
        return cls(data, ends)

    def __len__(self) -> int:
        return len(self.ends)

    def __getitem__(self, i: int) -> str:
        start = int(self.ends[i - 1]) if i else 0
        return self.data[start : int(self.ends[i])].tobytes().decode()

    def take(self, rows: np.ndarray) -> TextColumn:
        """The strings at ``rows`` (int indices), in that order."""
        starts = np.concatenate([np.zeros(1, np.int64), self.ends[:-1]])[rows]
        lengths = self.ends[rows] - starts
        ends = np.cumsum(lengths)
        out = np.empty(int(ends[-1]) if len(ends) else 0, np.uint8)
        _gather(self.data, starts, lengths, out)
        return TextColumn(out, ends)

    def plus(self, other: TextColumn) -> TextColumn:
        """This column's strings followed by ``other``'s."""
        shift = self.ends[-1] if len(self.ends) else 0
        return TextColumn(np.concatenate([self.data, other.data]), np.concatenate([self.ends, other.ends + shift]))
