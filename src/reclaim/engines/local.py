"""The ``local`` engine: every chunk in this process, one after another (debugging, tiny jobs)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from reclaim.engines.base import A, Engine, Outcome, R


class LocalEngine(Engine[A, R]):
    name = "local"

    def run(self, fn: Callable[[list[A]], list[R]], chunks: Iterator[list[A]]) -> Iterator[Outcome[A, R]]:
        for chunk in chunks:
            yield chunk, fn(chunk)
