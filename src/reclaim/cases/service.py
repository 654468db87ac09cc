"""Case lookups and summaries over the store."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from reclaim.errors import NotFound
from reclaim.store.models import Case, Item, MatchRow, Review


@dataclass(frozen=True)
class CaseSummary:
    name: str
    items: int
    failed: int
    matched: int


@dataclass(frozen=True)
class MatchView:
    bank: str
    bank_kind: str
    content_id: str
    signal_type: str
    distance: float
    suppressed: bool
    frame_time: float | None = None  # seconds into a video
    details: dict[str, Any] | None = None  # a keypoint match's inliers and transform (``KeypointMatch.details``)


@dataclass(frozen=True)
class ItemView:
    locator: str
    status: str
    sha256: str | None
    pdq: str | None
    error: str | None
    matches: list[MatchView]
    decision: str | None = None
    reviewer: str | None = None
    context: dict[str, Any] = field(default_factory=dict)  # where, when and by whom the source found it


def current_decisions(session: Session, case: Case) -> dict[int, Review]:
    """The newest decision for every reviewed item of the case, by item id."""
    rows = session.scalars(
        select(Review).join(Item, Review.item_id == Item.id).where(Item.case_id == case.id).order_by(Review.id)
    )
    return {review.item_id: review for review in rows}


def get_case(session: Session, name: str) -> Case:
    case = session.scalar(select(Case).where(Case.name == name))
    if case is None:
        known = ", ".join(session.scalars(select(Case.name).order_by(Case.name))) or "none yet"
        raise NotFound(f"no case named {name!r} (cases: {known})")
    return case


def list_cases(session: Session) -> list[CaseSummary]:
    matched_items = (
        select(MatchRow.item_id).where(MatchRow.suppressed.is_(False)).distinct().subquery()
    )
    rows = session.execute(
        select(
            Case.name,
            func.count(Item.id),
            func.count(Item.error_code),
            func.count(matched_items.c.item_id),
        )
        .outerjoin(Item, Item.case_id == Case.id)
        .outerjoin(matched_items, matched_items.c.item_id == Item.id)
        .group_by(Case.id)
        .order_by(Case.name)
    )
    return [CaseSummary(name, items, failed, matched) for name, items, failed, matched in rows]


def case_items(session: Session, name: str, *, matched_only: bool = False,
               item_ids: Collection[int] | None = None) -> list[ItemView]:
    """The case's items (only ``item_ids``, when given: one item's page need not read the whole case)."""
    case = get_case(session, name)
    decisions = current_decisions(session, case)
    query = select(Item).where(Item.case_id == case.id)
    if item_ids is not None:
        query = query.where(Item.id.in_(item_ids))
    items = session.scalars(
        query.options(selectinload(Item.signals), selectinload(Item.matches)).order_by(Item.locator))
    views = []
    for item in items:
        matches = [
            MatchView(m.bank, m.bank_kind, m.content_id, m.signal, m.distance, m.suppressed, m.frame_time, m.details)
            for m in sorted(item.matches, key=lambda m: (m.suppressed, m.distance, m.bank, m.content_id))
        ]
        if matched_only and not any(not m.suppressed for m in matches):
            continue
        pdq = next((s.value for s in item.signals if s.signal == "pdq"), None)
        review = decisions.get(item.id)
        views.append(
            ItemView(item.locator, item.status, item.sha256, pdq, item.error, matches,
                     review.decision if review else None, review.reviewer if review else None, dict(item.context))
        )
    return views
