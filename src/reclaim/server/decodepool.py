"""Where uploads are decoded and hashed: a bounded pool of processes, never the event loop.

A decode holds its thread for up to seconds; on the event loop it stalled every other request of the worker
(12 large uploads delayed ``/status`` by 6.2 s). Threads were not enough: parts of a decode hold the GIL for
tens of milliseconds at a time, so the loop still waited 0.4 s behind eight uploads. Worker processes (one
pool per server process, started on first use) keep the loop free, put the decoder's memory and any crash
in another process, and let the decode deadline (SIGALRM, main thread only) arm. The workers run at a lower
CPU priority (nice 10), so on a busy machine the scheduler serves the requests first.

Each app admits ``workers`` jobs at once and ``queue`` more waiting; past that it answers 503 with
``Retry-After`` at once, so a flood of uploads cannot pile up in memory.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import partial
from typing import TypeVar

from fastapi import HTTPException

from reclaim.server.decodejob import start_worker

log = logging.getLogger(__name__)
T = TypeVar("T")
WORKERS_ENV, QUEUE_ENV = "RECLAIM_DECODE_WORKERS", "RECLAIM_DECODE_QUEUE"

_shared: dict[int, ProcessPoolExecutor] = {}  # by worker count: every app of this process uses one pool
_shared_lock = threading.Lock()


def _executor(workers: int, *, broken: ProcessPoolExecutor | None = None) -> ProcessPoolExecutor:
    with _shared_lock:
        pool = _shared.get(workers)
        if pool is None or pool is broken:
            # spawn, not fork: the server process runs threads, and a forked child could inherit a held lock
            pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                                       initializer=start_worker, initargs=(os.getpid(),))
            _shared[workers] = pool
        return pool


def _wait_for_workers(pool: ProcessPoolExecutor, workers: int) -> None:
    for done in [pool.submit(os.getpid) for _ in range(workers)]:
        done.result()


class DecodePool:
    """``await pool.run(fn, *args)``: ``fn`` (a module-level function) in a worker process, or 503 when full."""

    def __init__(self, workers: int | None = None, queue: int | None = None) -> None:
        self.workers = workers or int(os.environ.get(WORKERS_ENV, "0")) or min(4, os.cpu_count() or 1)
        self.queue = queue if queue is not None else int(os.environ.get(QUEUE_ENV, str(4 * self.workers)))
        self._admitted = 0
        self._lock = threading.Lock()

    def start(self) -> None:
        """Start the worker processes now (app start-up, off the loop), not on the first upload, where spawning
        them stalled the loop for half a second."""
        pool = _executor(self.workers)
        try:
            _wait_for_workers(pool, self.workers)
        except BrokenProcessPool:  # a worker of this process's pool died since an earlier app started it
            log.warning("a decode worker had died; starting the decode pool again")
            _wait_for_workers(_executor(self.workers, broken=pool), self.workers)

    @property
    def admitted(self) -> int:
        """Jobs running or waiting now."""
        return self._admitted

    async def run(self, fn: Callable[..., T], *args: object) -> T:
        with self._lock:
            if self._admitted >= self.workers + self.queue:
                raise HTTPException(503, "the server is busy decoding other uploads: try again in a moment",
                                    headers={"Retry-After": "2"})
            self._admitted += 1
        pool = _executor(self.workers)
        try:
            return await asyncio.get_running_loop().run_in_executor(pool, partial(fn, *args))
        except BrokenProcessPool:
            log.exception("a decode worker died; starting a new pool")
            _executor(self.workers, broken=pool)
            raise HTTPException(422, "the upload could not be decoded (the decoder stopped)") from None
        finally:
            with self._lock:
                self._admitted -= 1
