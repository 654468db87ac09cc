"""Hash lists of a case, shared with other centres and platforms: hashes only — no media, no locators, no names.

The formats are ``reclaim.exchange``'s (pytx signal file, HMA CSV, StopNCII JSON); importing applies a list to a
bank as ``reclaim.banks.import_list`` does. A withdrawal list is the same file with ``withdrawn=true`` /
``hashStatus: Withdrawn``: importing it withdraws those hashes from the bank at once (DESIGN: privacy rule 4).
The StopNCII case number is an opaque reference (default ``RC-<case id>``), never the case name.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from reclaim.banks import ImportReport, create_bank, import_list
from reclaim.cases.review import case_bank_name
from reclaim.cases.service import get_case
from reclaim.errors import UserError
from reclaim.exchange import Format, SharedHash, write_list
from reclaim.models import BankKind
from reclaim.store.models import Bank, BankContent
from reclaim.takedown.tracking import aware

__all__ = ["Format", "ImportReport", "SharedHash", "case_hashes", "export_case", "import_hashes"]


def case_hashes(session: Session, case_name: str, *, withdrawals: bool = False) -> list[SharedHash]:
    """The case's confirmed items' hashes (or, with ``withdrawals``, the ones taken back since)."""
    get_case(session, case_name)
    bank = session.scalar(select(Bank).where(Bank.name == case_bank_name(case_name)))
    if bank is None:
        raise UserError(f"case {case_name} has no confirmed items yet; confirm some with 'reclaim case review'")
    gone = BankContent.withdrawn_at.is_not(None) if withdrawals else BankContent.withdrawn_at.is_(None)
    contents = session.scalars(select(BankContent).where(BankContent.bank_id == bank.id, gone)
                               .options(selectinload(BankContent.signals)).order_by(BankContent.id))
    shared = []
    for content in contents:
        signals = sorted(content.signals, key=lambda s: s.signal)
        sha = next((s.value for s in signals if s.signal == "sha256"), None)
        content_id = sha or f"{signals[0].signal}:{signals[0].value}"  # never the locator: it can name people
        changed = aware(content.withdrawn_at or content.added_at)
        video = any(s.signal == "vpdq" for s in signals)
        shared += [SharedHash(s.signal, s.value, content_id, s.quality, withdrawals, changed, video)
                   for s in signals if s.signal in ("pdq", "md5", "sha256")]
    return shared


def export_case(session: Session, case_name: str, fmt: Format, *, case_number: str = "",
                withdrawals: bool = False) -> str:
    """The case's hash list (or withdrawal list) as text; the case number defaults to ``RC-<case id>``."""
    number = case_number or f"RC-{get_case(session, case_name).id:06d}"
    return write_list(case_hashes(session, case_name, withdrawals=withdrawals), fmt, number)


def import_hashes(session: Session, path: Path, bank_name: str) -> ImportReport:
    """Add a list's active hashes to the bank (created as ``known`` if new) and apply its withdrawals; signal
    types Reclaim does not match on are counted, not refused."""
    bank = session.scalar(select(Bank).where(Bank.name == bank_name)) or create_bank(session, bank_name, BankKind.KNOWN)
    return import_list(session, bank, path, strict=False)
