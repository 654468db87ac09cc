"""Review decisions. A confirmed item's hashes go into the case's own ``known`` bank at once, so later scans
catch its re-uploads; reversing the decision withdraws them. Every decision is kept (append-only history).
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from reclaim.banks.service import add_content, create_bank, reinstate_content, withdraw_content
from reclaim.cases.service import get_case
from reclaim.errors import AlreadyExists, NotFound, UserError
from reclaim.models import BankKind, SignalValue
from reclaim.store.models import Bank, BankContent, Case, Item, Review


class Decision(StrEnum):
    CONFIRMED = "confirmed"
    NOT_A_MATCH = "not_a_match"
    NEEDS_SECOND_LOOK = "needs_second_look"


NOT_BANKED = frozenset({"face"})


def case_bank_name(case_name: str) -> str:
    return f"{case_name}-confirmed"


def create_case(session: Session, name: str, note: str = "") -> Case:
    if not name or not name.strip() or len(name) > 200:
        raise UserError(f"case name must be 1-200 characters: {name!r}")
    if session.scalar(select(Case).where(Case.name == name)):
        raise AlreadyExists(f"case {name} already exists")
    case = Case(name=name, note=note)
    session.add(case)
    session.flush()
    return case


def find_item(session: Session, case: Case, ref: str) -> Item:
    """An item by its exact locator, or by its sha256 (or a unique prefix of at least 8 hex digits)."""
    item = session.scalar(select(Item).where(Item.case_id == case.id, Item.locator == ref))
    if item is not None:
        return item
    if len(ref) >= 8:
        found = session.scalars(
            select(Item).where(Item.case_id == case.id, Item.sha256.startswith(ref.lower())).limit(2)
        ).all()
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise UserError(f"case {case.name}: {ref!r} matches several items; give more of the sha256")
    raise NotFound(f"case {case.name}: no item with locator or sha256 {ref!r}")


def review_item(
    session: Session, case_name: str, ref: str, decision: Decision, reviewer: str, note: str = ""
) -> Review:
    if not reviewer.strip():
        raise UserError("a review needs a reviewer name")
    case = get_case(session, case_name)
    item = find_item(session, case, ref)
    review = Review(item_id=item.id, decision=Decision(decision).value, reviewer=reviewer, note=note)
    session.add(review)
    if decision is Decision.CONFIRMED:
        _bank_item(session, case, item)
    elif decision is Decision.NOT_A_MATCH:
        _unbank_item(session, case, item)
    session.flush()
    return review


def _bank_item(session: Session, case: Case, item: Item) -> None:
    name = case_bank_name(case.name)
    bank = session.scalar(select(Bank).where(Bank.name == name)) or create_bank(session, name, BankKind.KNOWN)
    content_id = item.sha256 or item.locator
    existing = session.scalar(
        select(BankContent).where(BankContent.bank_id == bank.id, BankContent.content_id == content_id)
    )
    if existing is not None:
        reinstate_content(session, existing)
        return
    item = session.scalars(select(Item).where(Item.id == item.id).options(selectinload(Item.signals))).one()
    # Face descriptors are biometric data about a person, not a hash of the content: they never go into a bank.
    values = [SignalValue(s.signal, s.version, s.value, s.quality) for s in item.signals if s.signal not in NOT_BANKED]
    add_content(session, bank, content_id, values, note=f"confirmed in case {case.name}: {item.locator}")


def _unbank_item(session: Session, case: Case, item: Item) -> None:
    bank = session.scalar(select(Bank).where(Bank.name == case_bank_name(case.name)))
    content_id = item.sha256 or item.locator
    if bank is not None and session.scalar(
        select(BankContent.id).where(BankContent.bank_id == bank.id, BankContent.content_id == content_id)
    ):
        withdraw_content(session, bank.name, content_id)
