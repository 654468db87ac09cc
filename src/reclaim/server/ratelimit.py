"""An in-process token bucket per client address: a worker refuses floods with 429 instead of queueing them.

Per worker, so N workers admit up to N times the rate; enough to stop one client starving the rest.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from fastapi import HTTPException, Request


@dataclass
class _Bucket:
    tokens: float
    at: float


class RateLimit:
    """``rate`` requests per second per client, with bursts up to ``burst``."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, burst
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def take(self, client: str) -> bool:
        now = time.monotonic()
        with self._lock:
            bucket = self._buckets.setdefault(client, _Bucket(float(self.burst), now))
            bucket.tokens = min(float(self.burst), bucket.tokens + (now - bucket.at) * self.rate)
            bucket.at = now
            if bucket.tokens < 1.0:
                return False
            bucket.tokens -= 1.0
            return True


async def limit_lookups(request: Request) -> None:
    """Dependency of the lookup and hashing routes: 429 with Retry-After when the client's bucket is empty.

    Async (it only takes a lock held for a few arithmetic steps), so it costs a lookup no thread-pool hop.
    """
    limit: RateLimit = request.app.state.lookup_limit
    if not limit.take(request.client.host if request.client else "unknown"):
        raise HTTPException(429, "too many lookups: slow down", headers={"Retry-After": "1"})
