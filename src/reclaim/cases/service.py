"""Case lookups and summaries over the store."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from reclaim.cases.matches import MatchView, is_matched, matched_item_ids, matches_by_item
from reclaim.errors import NotFound
from reclaim.store.models import Case, Item, Review


@dataclass(frozen=True)
class CaseSummary:
    name: str
    items: int
    failed: int
    matched: int


@dataclass(frozen=True)
class ItemView:
    locator: str
    status: str
    sha256: str | None
    pdq: str | None
    error: str | None
    matches: list[MatchView]  # known images and enrolled faces, best first (``cases.matches``)
    decision: str | None = None
    reviewer: str | None = None
    context: dict[str, Any] = field(default_factory=dict)  # where, when and by whom the source found it

    @property
    def matched(self) -> bool:
        return is_matched(self.matches)


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
    matched_items = matched_item_ids().subquery()
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
    which = Item.case_id == case.id
    if item_ids is not None:
        which = which & Item.id.in_(item_ids)
    found = matches_by_item(session, which)
    items = session.scalars(select(Item).where(which).options(selectinload(Item.signals)).order_by(Item.locator))
    views = []
    for item in items:
        matches = found.get(item.id, [])
        if matched_only and not is_matched(matches):
            continue
        pdq = next((s.value for s in item.signals if s.signal == "pdq"), None)
        review = decisions.get(item.id)
        views.append(
            ItemView(item.locator, item.status, item.sha256, pdq, item.error, matches,
                     review.decision if review else None, review.reviewer if review else None, dict(item.context))
        )
    return views
