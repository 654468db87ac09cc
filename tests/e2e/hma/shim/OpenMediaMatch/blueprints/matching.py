"""Names HMA's tests import from its matching blueprint. The index cache lives in the server's workers; this
stand-in has HMA's readiness rules so tests that only read them, and ask the server, can run."""

from __future__ import annotations

import time
import typing as t
from dataclasses import dataclass

TMatchByBank = dict[str, list[dict[str, t.Any]]]


@dataclass
class _SignalIndexInMemoryCache:
    signal_type: t.Any
    index: t.Any
    checkpoint: t.Any
    last_check_ts: float
    sec_old_before_stale: int

    @property
    def is_ready(self) -> bool:
        return self.last_check_ts > 0

    @property
    def is_stale(self) -> bool:
        return self.sec_old_before_stale > 0 and time.time() - self.last_check_ts > self.sec_old_before_stale


IndexCache = t.Mapping[str, _SignalIndexInMemoryCache]


def _get_index_cache() -> IndexCache:
    return {}
