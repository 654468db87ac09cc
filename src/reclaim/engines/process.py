"""The ``process`` engine: a pool of local processes over all cores, the default on one machine.

A worker that dies (a decoder crashing on hostile input) breaks the whole ``ProcessPoolExecutor``, and the
pool cannot say which chunk did it: so every chunk that was in flight runs again alone, in a pool of its own,
and only one that dies alone is reported as crashed. A fresh pool then takes the rest.

A process running threads of its own gets its workers from multiprocessing's fork server (started once per
process, with the hashing modules loaded) instead of forking itself: a process that forks while another of
its threads holds a lock (a progress bar refreshing, a thread pool, an import under way) hands the child that
lock, held for ever. A scan in such a process hung that way (a test worker, 2026-12-06: its child stuck
importing a Pillow plugin). A process with no other thread still forks (nothing can hold a lock then), which
saves ``reclaim hash photo.jpg`` the fork server's start (0.15 s).
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.context import BaseContext

from reclaim.engines.base import A, Engine, Outcome, R


def _fork_server() -> BaseContext:
    """The fork server, with the hashing modules loaded once there so each worker starts ready; spawn where
    there is none (Windows), whose workers inherit no lock either."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    server = multiprocessing.get_context("forkserver")
    server.set_forkserver_preload(["reclaim.hashing"])
    return server


_FORK_SERVER = _fork_server()


def usable_cores() -> int:
    """The cores this process may run on (a container's CPU set), not all the machine has."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


class ProcessEngine(Engine[A, R]):
    name = "process"

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or usable_cores()

    def run(self, fn: Callable[[list[A]], list[R]], chunks: Iterator[list[A]]) -> Iterator[Outcome[A, R]]:
        """Keep ``2 * workers`` chunks in flight; after a crash, report the chunks in flight and start over."""
        while True:
            pool = _pool(self.workers)
            pending: dict[Future[list[R]], list[A]] = {}
            crashed: list[list[A]] = []
            try:
                while True:
                    while len(pending) < 2 * self.workers and (chunk := next(chunks, None)) is not None:
                        try:
                            pending[pool.submit(fn, chunk)] = chunk
                        except BrokenProcessPool:  # a worker died since the last wait: this chunk never started
                            crashed.append(chunk)
                            break
                    if not pending:
                        if crashed:
                            break
                        return
                    done, _ = wait(pending, return_when=FIRST_COMPLETED)
                    for future in done:
                        chunk = pending.pop(future)
                        try:
                            yield chunk, future.result()
                        except BrokenProcessPool:
                            crashed.append(chunk)
                    if crashed:
                        crashed.extend(pending.values())
                        break
            finally:
                pool.shutdown(wait=not crashed, cancel_futures=True)
            for chunk in crashed:
                yield chunk, _alone(fn, chunk)


def _alone(fn: Callable[[list[A]], list[R]], chunk: list[A]) -> list[R] | None:
    """``fn(chunk)`` in a one-worker pool of its own; None if that worker dies too."""
    with _pool(1) as solo:
        try:
            return solo.submit(fn, chunk).result()
        except BrokenProcessPool:
            return None


def _pool(workers: int) -> ProcessPoolExecutor:
    """Workers forked from this process while it runs no other thread (the pool starts them all at once, before
    its own threads), else from the fork server, each then given this process's environment as it is now (the
    server kept the one it started with; a scan's S3 credentials, say, may have been set since)."""
    if threading.active_count() == 1:
        return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context())
    return ProcessPoolExecutor(workers, mp_context=_FORK_SERVER, initializer=_adopt, initargs=(dict(os.environ),))


def _adopt(environment: dict[str, str]) -> None:
    os.environ.clear()
    os.environ.update(environment)
