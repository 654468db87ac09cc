"""Every refusal (401, 403, 429, and the CSRF 403) in the access audit, with its reason: rate-limited and
compacted, so a flood of refused requests costs the audit one row a minute per client, actor and reason.

The first refusal of a (client, actor, status, reason) in a window is written at once; the ones after it in
the same window are only counted, and the count is written with the next row of that key (``outcome``
``refused``, ``target`` ending ``(+N like it before)``). At most ``max_keys`` keys are tracked (the oldest
dropped first), so the tracker's memory is bounded whatever the attacker sends.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from fastapi import Request

from reclaim.accounts import record_access
from reclaim.server.auth import client_address

log = logging.getLogger(__name__)
AUDITED = frozenset({401, 403, 429})
WINDOW_SECONDS = 60.0


class RefusalAudit:
    def __init__(self, window: float = WINDOW_SECONDS, max_keys: int = 10_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.window, self.max_keys, self.clock = window, max_keys, clock
        self._seen: OrderedDict[tuple[str, str, int, str], tuple[float, int]] = OrderedDict()
        self._lock = threading.Lock()

    def due(self, key: tuple[str, str, int, str]) -> int | None:
        """None when this refusal is only counted; else how many like it were counted since the last row."""
        now = self.clock()
        with self._lock:
            started, counted = self._seen.get(key, (float("-inf"), 0))
            if now - started < self.window:
                self._seen[key] = (started, counted + 1)
                return None
            self._seen[key] = (now, 0)
            self._seen.move_to_end(key)
            while len(self._seen) > self.max_keys:
                self._seen.popitem(last=False)
            return counted


def audit_refusal(request: Request, status: int, reason: str) -> None:
    """Write the refusal to the access audit, unless it is one of a flood already on record this minute."""
    if status not in AUDITED:
        return
    who = getattr(request.state, "principal", None)
    actor = who.actor if who is not None else _claimed(request)
    client = client_address(request)
    reason = " ".join(reason.split())[:200]
    before = request.app.state.refusals.due((client, actor, status, reason))
    if before is None:
        return
    target = f"{request.method} {request.url.path[:300]}: {reason}" + (f" (+{before} like it before)" if before else "")
    try:
        with request.app.state.store.session() as session:
            record_access(session, actor, f"refused.{status}", target, client=client, outcome="refused")
    except Exception:  # the refusal is answered anyway; a failed audit write is logged, never the reason for a 500
        log.exception("could not write the refusal of %s to the access audit", actor)


def _claimed(request: Request) -> str:
    """Who an unauthenticated request claimed to be, as far as is safe to record (never a key itself)."""
    if request.headers.get("authorization"):
        return "key:unknown"
    return "session:unknown" if request.cookies else "anonymous"
