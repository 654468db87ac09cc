"""Bank operations over the store. Withdrawal keeps the row (for the record) but it never matches again."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from reclaim.errors import AlreadyExists, NotFound, UserError
from reclaim.models import BankKind, SignalValue
from reclaim.store.models import Bank, BankContent, ContentSignal, utcnow

DEFAULT_PDQ_THRESHOLD = 31
MAX_PDQ_THRESHOLD = 128


@dataclass(frozen=True)
class BankSummary:
    name: str
    kind: BankKind
    pdq_threshold: int
    active: int
    withdrawn: int


def create_bank(
    session: Session, name: str, kind: BankKind = BankKind.KNOWN, pdq_threshold: int = DEFAULT_PDQ_THRESHOLD,
    keypoints: str | None = None,
) -> Bank:
    """``keypoints``: when the keypoint stage searches the bank (see matching_keypoints); None: by kind."""
    if not name or not name.strip() or len(name) > 200:
        raise UserError(f"bank name must be 1-200 characters: {name!r}")
    if not 0 <= pdq_threshold <= MAX_PDQ_THRESHOLD:
        raise UserError(f"bank {name}: threshold must be between 0 and {MAX_PDQ_THRESHOLD}, got {pdq_threshold}")
    if session.scalar(select(Bank).where(Bank.name == name)):
        raise AlreadyExists(f"bank {name} already exists")
    bank = Bank(name=name, kind=BankKind(kind).value, pdq_threshold=pdq_threshold, keypoints=keypoints)
    session.add(bank)
    session.flush()
    return bank


def get_bank(session: Session, name: str) -> Bank:
    bank = session.scalar(select(Bank).where(Bank.name == name))
    if bank is None:
        known = ", ".join(session.scalars(select(Bank.name).order_by(Bank.name))) or "none yet"
        raise NotFound(f"no bank named {name!r} (banks: {known})")
    return bank


def add_content(
    session: Session, bank: Bank, content_id: str, values: Sequence[SignalValue], note: str = "",
    pk: int | None = None,
) -> BankContent:
    """Add one piece of content with its hashes. Re-adding a withdrawn content id is refused, not revived.
    ``pk``: the row id to take (an import keeping HMA's content id; the caller knows it is free)."""
    existing = session.scalar(
        select(BankContent).where(BankContent.bank_id == bank.id, BankContent.content_id == content_id)
    )
    if existing is not None:
        state = "withdrawn" if existing.withdrawn_at else "present"
        raise AlreadyExists(f"bank {bank.name}: content id {content_id!r} is already {state}; choose another id")
    content = BankContent(bank=bank, content_id=content_id, note=note)
    if pk is not None:
        content.id = pk
    content.signals = [
        ContentSignal(signal=v.signal, version=v.version, value=v.value, quality=v.quality, blob=v.blob)
        for v in values
    ]
    session.add(content)
    session.flush()
    return content


def withdraw_content(session: Session, bank_name: str, content_id: str) -> BankContent:
    bank = get_bank(session, bank_name)
    content = session.scalar(
        select(BankContent).where(BankContent.bank_id == bank.id, BankContent.content_id == content_id)
    )
    if content is None:
        raise NotFound(f"bank {bank_name}: no content id {content_id!r}")
    if content.withdrawn_at is None:
        content.withdrawn_at = utcnow()
    return content


def reinstate_content(session: Session, content: BankContent) -> None:
    """Undo a withdrawal by the bank's own owner (e.g. a reviewer reversing a decision)."""
    content.withdrawn_at = None


def list_banks(session: Session) -> list[BankSummary]:
    withdrawn = func.count(BankContent.withdrawn_at)
    rows = session.execute(
        select(Bank, func.count(BankContent.id), withdrawn)
        .outerjoin(BankContent, BankContent.bank_id == Bank.id)
        .group_by(Bank.id)
        .order_by(Bank.name)
    )
    return [
        BankSummary(bank.name, BankKind(bank.kind), bank.pdq_threshold, total - gone, gone)
        for bank, total, gone in rows
    ]
