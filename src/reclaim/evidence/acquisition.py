"""Custody entries for what scans and reviews did, written from the store so they survive crashes.

A scan stores items in batches and may be killed between them; instead of hooking into it, every item of the
case that the custody log does not yet record is recorded afterwards (``item.acquired``), so each stored item
gets exactly one acquisition entry however often the scan was interrupted.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from reclaim.cases.service import get_case
from reclaim.evidence.casefiles import CaseFiles
from reclaim.evidence.manifest import iso
from reclaim.store.models import Item, Review

ACQUIRED = "item.acquired"
DECIDED = "review.decided"


def record_acquisitions(session: Session, files: CaseFiles, actor: str) -> int:
    """Append ``item.acquired`` for every stored item not yet in the log; return how many were added."""
    case = get_case(session, files.case_name)
    log = files.custody(actor)
    seen = {(e.details.get("locator"), e.object_sha256) for e in log.entries() if e.action == ACQUIRED}
    rows = session.execute(
        select(Item.locator, Item.sha256, Item.status, Item.size, Item.scanned_at, Item.context)
        .where(Item.case_id == case.id)
        .order_by(Item.id)
    )
    new = [
        (ACQUIRED, sha, {"locator": locator, "status": status, "size": size, "acquired_at": iso(when),
                         "source": (context or {}).get("source", "folder")})
        for locator, sha, status, size, when, context in rows
        if (locator, sha) not in seen
    ]
    return files.record_many(actor, new) if new else 0


def record_reviews(session: Session, files: CaseFiles, reviews: list[Review], actor: str) -> int:
    """Append ``review.decided`` for each decision, under one lock, fsync and signature; return how many."""
    items = [(review, session.get(Item, review.item_id)) for review in reviews]
    return files.record_many(actor, [
        (DECIDED, item.sha256, {"locator": item.locator, "decision": review.decision, "reviewer": review.reviewer,
                                "note": review.note, "decided_at": iso(review.decided_at)})
        for review, item in items if item is not None
    ])
