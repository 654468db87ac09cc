"""Fault injection, so tests can show each engine survives a worker that dies mid-chunk.

Set on the driver, read once there, and shipped with the work (not read from the workers' environment,
which a Ray cluster does not share): ``RECLAIM_FAULT_CRASH_ON`` names files (comma-separated) whose worker
exits as a crashing decoder would; with ``RECLAIM_FAULT_ONCE_DIR`` each crashes only the first time (a
marker file per name in that folder), as a flaky node would. Unset, it costs one ``None`` check per chunk.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

CRASH_ON = "RECLAIM_FAULT_CRASH_ON"
ONCE_DIR = "RECLAIM_FAULT_ONCE_DIR"
EXIT_CODE = 70


@dataclass(frozen=True)
class Faults:
    crash_on: frozenset[str]
    once_dir: Path | None

    @classmethod
    def from_env(cls) -> Faults | None:
        names = frozenset(n for n in os.environ.get(CRASH_ON, "").split(",") if n)
        once = os.environ.get(ONCE_DIR)
        return cls(names, Path(once) if once else None) if names else None

    def maybe_crash(self, target: object) -> None:
        """Exit if ``target`` (a path, or an object in storage) is named; ``str`` of either ends in its name."""
        name = Path(str(target)).name
        if name not in self.crash_on:
            return
        if self.once_dir is not None:
            marker = self.once_dir / f"{name}.crashed"
            try:
                marker.touch(exist_ok=False)
            except FileExistsError:
                return
        os._exit(EXIT_CODE)
