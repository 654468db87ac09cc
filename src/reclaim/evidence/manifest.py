"""The case manifest: everything known about every item, as plain JSON, for the bundle and the report.

It is built from the store alone (hashes, locations, source context, matches, review decisions), so it
can be written for any case without touching the media. Times are UTC ISO-8601; the source's own
timestamp is kept in ``context`` as the source gave it.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from importlib.metadata import version
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from reclaim.cases.matches import MatchView, matches_by_item
from reclaim.cases.service import current_decisions, get_case
from reclaim.cases.victims import case_victims
from reclaim.store.models import Item, Scan

FORMAT = "reclaim-evidence-bundle/1"


def iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    if moment.tzinfo is None:  # SQLite returns naive datetimes; we always store UTC
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def build_manifest(session: Session, case_name: str, *, actor: str) -> dict[str, Any]:
    case = get_case(session, case_name)
    decisions = current_decisions(session, case)
    items = session.scalars(
        select(Item).where(Item.case_id == case.id).options(selectinload(Item.signals)).order_by(Item.locator)
    ).all()
    matches = matches_by_item(session, Item.case_id == case.id)
    targets = dict(session.execute(select(Scan.id, Scan.target).where(Scan.case_id == case.id)).all())
    records = [_item_record(item, matches.get(item.id, []), decisions.get(item.id), targets.get(item.scan_id))
               for item in items]
    return {
        "format": FORMAT,
        "tool": {"name": "reclaim", "version": version("reclaim")},
        "case": {"name": case.name, "note": case.note, "created_at": iso(case.created_at),
                 "victims": case_victims(session, case.name)},
        "generated_at": iso(datetime.now(UTC)),
        "generated_by": actor,
        "summary": summarise(records),
        "items": records,
    }


def _item_record(item: Item, matches: list[MatchView], review: Any, scan_target: str | None) -> dict[str, Any]:
    signals = {s.signal: s for s in item.signals}
    pdq = signals.get("pdq")
    return {
        "locator": item.locator,
        "status": item.status,
        "error": item.error,
        "sha256": item.sha256,
        "md5": signals["md5"].value if "md5" in signals else None,
        "pdq": pdq.value if pdq else None,
        "pdq_quality": pdq.quality if pdq else None,
        "size": item.size,
        "format": item.media_format,
        "width": item.width,
        "height": item.height,
        "acquired_at": iso(item.scanned_at),
        "scan_target": scan_target,
        "context": dict(item.context or {}),
        "matches": [m.as_json() for m in matches],  # known images and enrolled faces alike (cases.matches)
        "review": None if review is None else {
            "decision": review.decision, "reviewer": review.reviewer, "note": review.note,
            "decided_at": iso(review.decided_at),
        },
    }


def summarise(records: list[dict[str, Any]]) -> dict[str, Any]:
    """The one-minute view: how many, where, when, posted by whom."""
    flagged = [r for r in records if is_flagged(r)]
    places = Counter(_place(r) for r in flagged)
    posters = Counter(r["context"].get("poster") for r in flagged if r["context"].get("poster"))
    times = sorted(t for r in flagged if (t := r["context"].get("posted_at")))
    return {
        "items": len(records),
        "flagged": len(flagged),
        "confirmed": sum(1 for r in records if (r["review"] or {}).get("decision") == "confirmed"),
        "not_readable": sum(1 for r in records if r["error"]),
        "places": [{"place": p, "items": n} for p, n in places.most_common()],
        "posters": [{"poster": p, "items": n} for p, n in posters.most_common()],
        "first_posted": times[0] if times else None,
        "last_posted": times[-1] if times else None,
    }


def is_flagged(record: dict[str, Any]) -> bool:
    """Confirmed, or matched (a known image or an enrolled face) and not rejected by a reviewer."""
    decision = (record["review"] or {}).get("decision")
    if decision == "not_a_match":
        return False
    return decision == "confirmed" or any(not m["suppressed"] for m in record["matches"])


def _place(record: dict[str, Any]) -> str:
    context = record["context"]
    if context.get("chat_name"):
        return f"Telegram: {context['chat_name']}"
    if context.get("url"):
        return str(context["url"]).split("/")[2] if "//" in str(context["url"]) else str(context["url"])
    locator = str(record["locator"])
    return locator.rsplit("/", 1)[0] if "/" in locator else locator
