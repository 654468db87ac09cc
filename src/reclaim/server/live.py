"""A worker's matcher, kept fresh: banks changed through any worker are seen here within one poll.

Each worker holds one ``Matcher``. A background thread reads a change stamp of the banks every
``poll_seconds`` (a handful of index lookups: the newest content id, the withdrawals through their index,
and the small banks table); when the stamp moved, it builds a new ``Matcher``, whose PDQ part brings the
shared on-disk index up to date by a diff (``PdqBanks.open``), not by a full rebuild, and swaps it in. The
diff's quick part (new rows, and withdrawals through their index) is swapped in before its full check (an
aggregate over every active row, for reinstatements and hand edits) runs on a thread of its own, so at 1 M
hashes a change is served within ~0.4 s even while the previous one is still being checked.
Lookups never wait for the database: they use whichever matcher is current. After a write through this
worker (``invalidate``) the next lookup checks the stamp itself, so a client sees its own change at once.
HMA's switches (bank ratios, content ``disable_until_ts``) are followed the same way, by a stamp of their own
(``server.switches``): a change to them reloads only them, never the index.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from reclaim.matching.matcher import Matcher, MatchResult
from reclaim.models import SignalValue
from reclaim.server.switches import Switches, load_switches, switches_stamp
from reclaim.store import Store
from reclaim.store.models import Bank, BankContent

Stamp = tuple[object, ...]
log = logging.getLogger(__name__)
FAILURE_LOG_EVERY = 60.0  # seconds between log lines while polls keep failing
STALE_SECONDS = 65.0  # HMA's INDEX_CACHE_MAX_STALE_SEC: /status answers 503 when no check succeeded for this long


def bank_stamp(session: Session) -> Stamp:
    """Changes whenever content is added, withdrawn or reinstated, or a bank is created, changed (renamed,
    its thresholds or keypoint rule) or dropped.

    Cheap on a bank of millions: content is never deleted (only withdrawn; a bank is dropped only when
    empty), so the newest id says what was added; withdrawals are counted through their index; the banks
    table is small and read whole.
    """
    newest = session.scalar(select(func.coalesce(func.max(BankContent.id), 0)))
    withdrawn = session.execute(
        select(func.count(), func.max(BankContent.withdrawn_at)).where(BankContent.withdrawn_at.is_not(None))
    ).one()
    banks = session.execute(select(Bank.id, Bank.name, Bank.kind, Bank.pdq_threshold, Bank.pdq_min_quality,
                                   Bank.keypoints).order_by(Bank.id))
    return (newest, withdrawn[0], str(withdrawn[1]), tuple(tuple(row) for row in banks))


class LiveMatcher:
    """Thread-safe lookups against a matcher that follows the database (see the module docstring)."""

    def __init__(self, store: Store, poll_seconds: float = 0.1) -> None:
        self._store = store
        self._poll = poll_seconds
        self._lock = threading.Lock()  # one lookup at a time on the current matcher
        self._refreshing = threading.Lock()  # one stamp check / rebuild at a time
        self._stop = threading.Event()
        self._poller: threading.Thread | None = None
        self._session: Session | None = None
        self._matcher: Matcher | None = None
        self._stamp: Stamp | None = None
        self.switches = Switches()  # HMA's, loaded with the first index (see server.switches)
        self._switch_stamp: Stamp | None = None
        self._asked = 0  # writes through this worker so far (``invalidate``)
        self._served = 0  # of those, how many the current matcher and switches are known to reflect
        self._checks = ThreadPoolExecutor(1, thread_name_prefix="reclaim-bank-check")  # see _refresh
        self.last_error: str | None = None  # why the polls fail, while they do
        self.failures = 0  # polls failed in a row
        self._logged_failure = 0.0
        self._loaded = threading.Event()
        self._loader: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self.checked_at = 0.0  # time.time() of the last successful look at the database
        self.built_at = 0.0  # and of the last matcher built

    @property
    def is_ready(self) -> bool:
        return self._matcher is not None

    @property
    def is_stale(self) -> bool:
        return self.is_ready and time.time() - self.checked_at > STALE_SECONDS

    def start_loading(self) -> None:
        """Build the first matcher on a thread of its own, once (HMA's /status says 503 until it is there)."""
        with self._start_lock:
            if self._loader is not None or self._matcher is not None:
                return
            self._loader = threading.Thread(target=self._load, name="reclaim-bank-load", daemon=True)
        self._loader.start()

    def _load(self) -> None:
        try:
            self._refresh()
        except Exception:
            log.exception("building the bank index failed; the next lookup tries again")
            self._loader = None

    def wait_ready(self, timeout: float) -> bool:
        self.start_loading()
        return self._loaded.wait(timeout) or self.is_ready

    def match(self, values: Iterable[SignalValue]) -> MatchResult:
        if self._matcher is None or self._dirty:
            self._refresh()
        matcher = self._matcher
        assert matcher is not None
        with self._lock:
            return matcher.match(values)

    async def amatch(self, values: list[SignalValue]) -> MatchResult:
        """``match`` for async routes: in the event loop while the matcher is current (a lookup is an index
        search, well under a millisecond, with a hit's details in the same cache file), in the
        thread pool when the database must be checked or the matcher built first."""
        if self._matcher is not None and not self._dirty:
            return self.match(values)
        return await run_in_threadpool(self.match, values)

    def content_pk(self, ref: int) -> int | None:
        """The bank_content row id of a match's ``entry_id``, from the current matcher (None once withdrawn)."""
        matcher = self._matcher
        return matcher.content_pk(ref) if matcher is not None else None

    def sizes(self) -> dict[str, int]:
        """Hashes the current matcher holds per signal (empty before the first load)."""
        matcher = self._matcher
        return matcher.sizes() if matcher is not None else {}

    @property
    def _dirty(self) -> bool:
        return self._served < self._asked

    def invalidate(self) -> None:
        """Check the database on the next lookup instead of waiting for the poller."""
        self._asked += 1

    def _refresh(self) -> None:
        with self._refreshing:
            # counted before the stamp is read, and marked served only once the refresh is over (done or failed,
            # when the poller retries): a lookup while the poller refreshes waits for it, rather than answer from
            # the matcher it replaces
            asked = self._asked
            try:
                self._refresh_now()
            finally:
                self._served = max(self._served, asked)

    def _refresh_now(self) -> None:
        with self._store.sessions() as probe:
            stamp = bank_stamp(probe)
            switched = switches_stamp(probe)
            if switched != self._switch_stamp:
                self.switches, self._switch_stamp = load_switches(probe), switched
        self.checked_at = time.time()
        if self._matcher is None:
            self._build(stamp, verify=True)
        elif stamp != self._stamp:
            # The quick diff first, so adds and withdrawals are served at once; the full check, which
            # catches reinstatements and hand edits and costs ~0.4 s at 1 M hashes on SQLite, runs on its
            # own thread, so the next change is not kept waiting behind it.
            self._checks.submit(self._check, self._build(stamp, verify=False))
        if self._poller is None and not self._stop.is_set():
            poller = threading.Thread(target=self._poll_loop, name="reclaim-bank-poll", daemon=True)
            poller.start()
            self._poller = poller  # once started: a thread that reads it may join it

    def _check(self, quick: Matcher) -> None:
        """Rebuild with the full check if ``quick`` is still current and not in step with the database."""
        if quick is not self._matcher:
            return  # superseded: its successor's check is queued behind this one
        with self._store.sessions() as session:
            if quick.in_step(session):
                return
        with self._refreshing:
            if quick is self._matcher and self._stamp is not None:
                self._build(self._stamp, verify=True)

    def _build(self, stamp: Stamp, *, verify: bool) -> Matcher:
        """A new matcher for ``stamp``, swapped in for lookups; its session stays open while it is current."""
        session = self._store.sessions()
        matcher = Matcher.from_store(session, verify=verify)
        session.rollback()  # end the read transaction so later polls see new commits
        old, self._session = self._session, session
        with self._lock:
            self._matcher, self._stamp = matcher, stamp
        self.built_at = time.time()
        self._loaded.set()
        if old is not None:
            old.close()
        return matcher

    def _poll_loop(self) -> None:
        while not self._stop.wait(self._poll):
            try:
                self._refresh()
            except Exception as exc:  # noqa: BLE001 - a failed poll (database busy, restarting) is retried
                self._failed(exc)
            else:
                if self.failures:
                    log.warning("bank index refresh works again after %d failed polls", self.failures)
                self.failures, self.last_error = 0, None

    def _failed(self, exc: Exception) -> None:
        """Log a failed poll (the first with its traceback, then one line a minute): the index may be stale."""
        self.failures += 1
        self.last_error = f"{type(exc).__name__}: {exc}"[:500]
        now = time.monotonic()
        if self.failures == 1:
            log.error("bank index refresh failed; lookups use the index as of the last refresh", exc_info=exc)
            self._logged_failure = now
        elif now - self._logged_failure >= FAILURE_LOG_EVERY:
            log.error("bank index refresh still failing (%d polls): %s", self.failures, self.last_error)
            self._logged_failure = now

    def health(self) -> dict[str, object]:
        """For staff: when the index last reached the database, and why it does not now, if so."""
        age = round(time.time() - self.checked_at, 3) if self.checked_at else None
        return {"last_refresh_unix": self.checked_at or None, "seconds_since_refresh": age,
                "failed_polls": self.failures, "last_error": self.last_error}

    def close(self) -> None:
        self._stop.set()
        with self._refreshing:  # a refresh under way may be starting the poller: wait until it is known
            poller = self._poller
        if poller is not None:
            poller.join(timeout=5)
        self._checks.shutdown(cancel_futures=True)
        if self._session is not None:
            self._session.close()
