"""The numbers a support centre publishes: items found, reported and removed, and how long removal took.

Counts are of distinct items, so an item reported twice (a follow-up) counts once. Time to removal runs from
when the request was sent to when the item was seen removed (re-check) or marked removed by an officer.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import median

from sqlalchemy import select
from sqlalchemy.orm import Session

from reclaim.cases.matches import matched_item_ids
from reclaim.cases.service import current_decisions, get_case
from reclaim.store.models import Case, Item, TakedownItem, TakedownRequest
from reclaim.takedown.tracking import State, aware


@dataclass(frozen=True)
class PlatformStats:
    platform: str
    requests: int
    reported: int
    removed: int
    no_response: int  # requests that got no answer
    median_hours_to_removal: float | None


@dataclass(frozen=True)
class Stats:
    scope: str  # a case name, or "all cases"
    found: int  # matched or confirmed, not rejected by a reviewer
    confirmed: int
    reported: int
    removed: int
    platforms: list[PlatformStats]


def takedown_stats(session: Session, case_name: str | None = None) -> list[Stats]:
    """One row per case (or just the named one), then the total over all cases."""
    cases = [get_case(session, case_name)] if case_name else list(session.scalars(select(Case).order_by(Case.name)))
    rows = [_stats(session, case.name, [case]) for case in cases]
    if case_name is None:
        rows.append(_stats(session, "all cases", cases))
    return rows


def _stats(session: Session, scope: str, cases: list[Case]) -> Stats:
    ids = [c.id for c in cases]
    found: set[int] = set()
    confirmed: set[int] = set()
    for case in cases:
        decisions = {i: r.decision for i, r in current_decisions(session, case).items()}
        confirmed |= {i for i, d in decisions.items() if d == "confirmed"}
        any_match = matched_item_ids().subquery()
        matched = session.scalars(select(any_match.c.item_id).join(Item, Item.id == any_match.c.item_id)
                                  .where(Item.case_id == case.id))
        found |= {i for i in matched if decisions.get(i) != "not_a_match"} | confirmed
    sent = session.execute(
        select(TakedownRequest, TakedownItem).join(TakedownItem)
        .where(TakedownRequest.case_id.in_(ids), TakedownRequest.state != State.DRAFTED.value)).all()
    by_platform: dict[str, list[tuple[TakedownRequest, TakedownItem]]] = {}
    for request, item in sent:
        by_platform.setdefault(request.platform, []).append((request, item))
    platforms = [_platform(name, pairs) for name, pairs in sorted(by_platform.items())]
    return Stats(scope, len(found), len(confirmed), len({i.item_id for _, i in sent}),
                 len({i.item_id for _, i in sent if i.removed_at is not None}), platforms)


def _platform(name: str, pairs: list[tuple[TakedownRequest, TakedownItem]]) -> PlatformStats:
    requests = {r.id: r for r, _ in pairs}
    hours = [
        (aware(i.removed_at) - aware(r.sent_at)).total_seconds() / 3600
        for r, i in pairs if i.removed_at is not None and r.sent_at is not None
    ]
    return PlatformStats(
        name, len(requests), len({i.item_id for _, i in pairs}),
        len({i.item_id for _, i in pairs if i.removed_at is not None}),
        sum(1 for r in requests.values() if r.state == State.NO_RESPONSE.value),
        round(median(hours), 1) if hours else None,
    )
