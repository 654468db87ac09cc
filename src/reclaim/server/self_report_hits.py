"""Counting partner lookups that matched a self-report, so the person can see it (counts only, no details).

Called by the lookup routes after matching; it writes only when a ``self-report`` bank matched, which is
rare, so ordinary lookups stay in memory and never touch the database.
"""

from __future__ import annotations

import logging

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from reclaim.models import BankKind, Match
from reclaim.selfreports import note_lookup_matches
from reclaim.store import Store

log = logging.getLogger(__name__)


def _record(store: Store, content_ids: list[str]) -> None:
    with store.session() as session:
        note_lookup_matches(session, content_ids)


async def note_self_report_hits(request: Request, matches: list[Match]) -> None:
    ids = [m.content_id for m in matches if m.bank_kind is BankKind.SELF_REPORT]
    if not ids:
        return
    try:
        await run_in_threadpool(_record, request.app.state.store, ids)
    except Exception:  # the lookup's answer matters more than the count: log it and answer anyway
        log.exception("could not count a lookup match on self-reports %s", ids)
