"""A worker's matcher, kept fresh: banks changed through any worker are seen here within one poll.

Each worker holds one ``Matcher``. Before a lookup it reads a change stamp of the banks (counts and
maxima of contents, withdrawals and bank settings: one cheap aggregate query) at most every
``poll_seconds``; when the stamp moved, it builds a new ``Matcher``, whose PDQ part brings the shared
on-disk index up to date by a diff (``PdqBanks.open``), not by a full rebuild.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from reclaim.matching import Matcher, MatchResult
from reclaim.models import SignalValue
from reclaim.store import Store
from reclaim.store.models import Bank, BankContent

Stamp = tuple[int, ...]


def bank_stamp(session: Session) -> Stamp:
    """Changes whenever content is added, withdrawn or reinstated, or a bank is created, changed or dropped."""
    contents = session.execute(
        select(func.count(BankContent.id), func.coalesce(func.max(BankContent.id), 0),
               func.count(BankContent.withdrawn_at))
    ).one()
    banks = session.execute(
        select(func.count(Bank.id), func.coalesce(func.max(Bank.id), 0),
               func.coalesce(func.sum(Bank.pdq_threshold * 1000 + Bank.pdq_min_quality), 0))
    ).one()
    return tuple(int(v) for v in (*contents, *banks))


class LiveMatcher:
    """Thread-safe lookups against a matcher that follows the database (see the module docstring)."""

    def __init__(self, store: Store, poll_seconds: float = 0.25) -> None:
        self._store = store
        self._poll = poll_seconds
        self._lock = threading.Lock()
        self._session: Session | None = None
        self._matcher: Matcher | None = None
        self._stamp: Stamp | None = None
        self._checked = 0.0

    def match(self, values: Iterable[SignalValue]) -> MatchResult:
        with self._lock:
            return self._fresh().match(values)

    def invalidate(self) -> None:
        """Check the database on the next lookup instead of waiting out the poll interval."""
        self._checked = float("-inf")

    def _fresh(self) -> Matcher:
        now = time.monotonic()
        if self._matcher is not None and now - self._checked < self._poll:
            return self._matcher
        self._checked = now
        with self._store.sessions() as probe:
            stamp = bank_stamp(probe)
        if self._matcher is None or stamp != self._stamp:
            if self._session is not None:
                self._session.close()
            self._session = self._store.sessions()
            self._matcher = Matcher.from_store(self._session)
            self._session.rollback()  # end the read transaction so later polls see new commits
            self._stamp = stamp
        return self._matcher

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
