"""The Index interface every signal's matcher implements, and the exact-value index.

Refs are the integer ids of bank entries. ``query`` answers best-first; ``remove`` takes effect for the
very next query, so a withdrawn hash stops matching at once.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class IndexMatch:
    distance: float
    ref: int


class Index(abc.ABC):
    @abc.abstractmethod
    def add(self, refs: Sequence[int], values: Sequence[str]) -> None: ...

    @abc.abstractmethod
    def remove(self, refs: Sequence[int]) -> None: ...

    @abc.abstractmethod
    def query(self, value: str, max_distance: float) -> list[IndexMatch]: ...

    @abc.abstractmethod
    def __len__(self) -> int: ...


class ExactIndex(Index):
    """Equality lookup for cryptographic hashes (md5, sha256): distance is always 0."""

    def __init__(self) -> None:
        self._refs_by_value: dict[str, set[int]] = {}
        self._value_by_ref: dict[int, str] = {}

    def add(self, refs: Sequence[int], values: Sequence[str]) -> None:
        self.remove(refs)
        for ref, value in zip(refs, values, strict=True):
            self._refs_by_value.setdefault(value, set()).add(ref)
            self._value_by_ref[ref] = value

    def remove(self, refs: Sequence[int]) -> None:
        for ref in refs:
            value = self._value_by_ref.pop(ref, None)
            if value is not None:
                self._refs_by_value[value].discard(ref)

    def query(self, value: str, max_distance: float) -> list[IndexMatch]:
        return [IndexMatch(0, ref) for ref in sorted(self._refs_by_value.get(value, ()))]

    def __len__(self) -> int:
        return len(self._value_by_ref)
