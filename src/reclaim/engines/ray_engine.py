"""The ``ray`` engine: Ray tasks on an existing cluster (``--address`` or RAY_ADDRESS), else a local one.

Why tasks: per-file hashing is independent, uneven work with no shuffle, which plain tasks schedule with the
least overhead (Ray Data's ``map_batches`` adds a streaming executor and Arrow conversion per batch; see
docs/scaling.md for the measurement). A task whose worker dies is retried by Ray itself (``max_retries``);
only a chunk that kills its worker every time comes back as crashed. Results stream back to the driver,
which alone writes to the database.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

from reclaim.engines.base import A, Engine, Outcome, R
from reclaim.errors import UserError

RETRIES = 2  # Ray re-runs a task whose worker died this many times before giving up on the chunk


def _ray() -> Any:
    try:
        import ray
    except ImportError:
        raise UserError("--engine ray needs Ray: pip install 'reclaim[ray]'") from None
    return ray


def _cluster_messages_to_stderr() -> None:
    """Ray's driver prints cluster events ("A worker died ...") to stdout, where they would corrupt
    ``--json`` output; send them to stderr like every other diagnostic. (Ray offers no setting for it: its
    error listener calls the module function ``print_to_stdstream``, which is what this wraps.)"""
    from ray._private import worker

    if not isinstance(worker.print_to_stdstream, _ToStderr):
        worker.print_to_stdstream = _ToStderr(worker.print_to_stdstream)


class _ToStderr:
    """Ray's ``print_to_stdstream`` with every message marked for stderr."""

    def __init__(self, show: Callable[[dict[str, Any], bool], None]) -> None:
        self.show = show

    def __call__(self, data: dict[str, Any], ignore_prefix: bool) -> None:
        self.show({**data, "is_err": True}, ignore_prefix)


def _apply(fn: Callable[[list[A]], list[R]], chunk: list[A]) -> list[R]:
    """The task body: ``ray.remote`` takes a plain function, and ``fn`` is often a ``functools.partial``."""
    return fn(chunk)


class RayEngine(Engine[A, R]):
    name = "ray"

    def __init__(self, address: str | None = None, workers: int | None = None) -> None:
        self._ray = _ray()
        self._started = False
        if not self._ray.is_initialized():
            address = address or os.environ.get("RAY_ADDRESS")
            options: dict[str, Any] = {"address": address} if address else {"num_cpus": workers}
            self._ray.init(**options, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
            self._started = not address
        self.slots = max(int(self._ray.cluster_resources().get("CPU", 1)), 1)
        _cluster_messages_to_stderr()

    def run(self, fn: Callable[[list[A]], list[R]], chunks: Iterator[list[A]]) -> Iterator[Outcome[A, R]]:
        """Keep two chunks per cluster CPU in flight; yield each as it finishes."""
        ray = self._ray
        task = ray.remote(max_retries=RETRIES, retry_exceptions=False)(_apply)
        shared_fn = ray.put(fn)  # shipped to the object store once, not with every task
        pending: dict[Any, list[A]] = {}
        while True:
            while len(pending) < 2 * self.slots and (chunk := next(chunks, None)) is not None:
                pending[task.remote(shared_fn, chunk)] = chunk
            if not pending:
                return
            done, _ = ray.wait(list(pending), num_returns=1)
            for ref in done:
                chunk = pending.pop(ref)
                try:
                    yield chunk, ray.get(ref)
                except (ray.exceptions.WorkerCrashedError, ray.exceptions.NodeDiedError):
                    yield chunk, None

    def close(self) -> None:
        if self._started:
            self._ray.shutdown()
            self._started = False
