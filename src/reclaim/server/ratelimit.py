"""An in-process token bucket per caller: a worker refuses floods with 429 instead of queueing them.

Keyed by the API key or user when there is one (behind a proxy every platform has the proxy's address), else
by the client address. Per worker, so N workers admit up to N times the rate; enough to stop one caller
starving the rest. At most ``max_keys`` buckets are kept, the least recently used dropped first (a dropped
bucket restarts full), so memory stays bounded however many addresses a flood comes from.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import HTTPException, Request


@dataclass
class _Bucket:
    tokens: float
    at: float


class RateLimit:
    """``rate`` requests per second per client, with bursts up to ``burst``."""

    def __init__(self, rate: float, burst: int, *, max_keys: int = 100_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.rate, self.burst, self.max_keys, self.clock = rate, burst, max_keys, clock
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._buckets)

    def take(self, client: str) -> bool:
        now = self.clock()
        with self._lock:
            bucket = self._buckets.get(client)
            if bucket is None:
                bucket = self._buckets[client] = _Bucket(float(self.burst), now)
                if len(self._buckets) > self.max_keys:
                    self._buckets.popitem(last=False)
            else:
                self._buckets.move_to_end(client)
            bucket.tokens = min(float(self.burst), bucket.tokens + (now - bucket.at) * self.rate)
            bucket.at = now
            if bucket.tokens < 1.0:
                return False
            bucket.tokens -= 1.0
            return True


def take_lookup(request: Request, caller: str | None = None) -> None:
    """The lookup and hashing routes' limit: 429 with Retry-After when the caller's bucket is empty.

    ``caller``: the key or user asking (else the client address). Called from the routes' async guard (it only
    takes a lock held for a few arithmetic steps), so it costs a lookup no thread-pool hop.
    """
    limit: RateLimit = request.app.state.lookup_limit
    if not limit.take(caller or (request.client.host if request.client else "unknown")):
        raise HTTPException(429, "too many lookups: slow down", headers={"Retry-After": "1"})
