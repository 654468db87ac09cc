"""The engine interface: run a function over chunks of work somewhere, yield each chunk's results."""

from __future__ import annotations

import abc
from collections.abc import Callable, Iterator
from typing import ClassVar, Generic, TypeVar

A = TypeVar("A")
R = TypeVar("R")

# A chunk and its results in order, or None when the chunk's worker died (after the engine's own retries).
Outcome = tuple[list[A], list[R] | None]


class Engine(abc.ABC, Generic[A, R]):
    """Runs ``fn`` (a picklable module-level function or ``functools.partial`` of one) over chunks.

    ``run`` pulls chunks lazily, keeping a bounded number in flight, so the caller may feed it a generator
    that grows while results come back (items of a crashed chunk, retried alone).
    """

    name: ClassVar[str]

    @abc.abstractmethod
    def run(self, fn: Callable[[list[A]], list[R]], chunks: Iterator[list[A]]) -> Iterator[Outcome[A, R]]:
        """Yield (chunk, results) as chunks finish, in any order."""

    def close(self) -> None:
        """Release what the engine started (pools, a local cluster)."""

    def __enter__(self) -> Engine[A, R]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
