"""The process engine when a worker dies between two of its looks at the pool."""

import os
import time
from collections.abc import Iterator

from reclaim.engines.process import ProcessEngine


def _work(chunk: list[str]) -> list[str]:
    """Module-level (picklable); "crash" exits the worker as a crashing decoder would, a moment after starting."""
    if "crash" in chunk:
        time.sleep(0.2)
        os._exit(70)
    return [f"done {name}" for name in chunk]


def _slow_source() -> Iterator[list[str]]:
    """The second chunk kills its worker while the engine waits for the third one, so the pool is broken by the
    time the engine hands it out."""
    yield ["a"]
    yield ["crash"]
    time.sleep(1.0)
    yield ["b"]


def test_a_chunk_handed_out_after_a_worker_died_runs_again_instead_of_failing_the_scan() -> None:
    outcomes = dict((tuple(chunk), results) for chunk, results in ProcessEngine(1).run(_work, _slow_source()))
    assert outcomes == {("a",): ["done a"], ("crash",): None, ("b",): ["done b"]}
