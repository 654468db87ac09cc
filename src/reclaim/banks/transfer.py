"""A bank to and from a hash list (the formats are ``reclaim.exchange``'s): what is exported, and how an import
is applied.

An import is all or nothing (the whole list is read and validated first). A listed hash already in the bank
is left as it is: in particular a hash withdrawn here is never made active again by an import (DESIGN: privacy
rule 4). A withdrawn row withdraws the hash here at once; one the bank has never held is recorded as withdrawn,
so a later list cannot bring it in as active either.

HMA's integer content ids (``hma_id`` in the CSV) are kept when they can be: a new content takes its listed id
when that is above every id in use (always so into an empty database, rows taken in id order); otherwise it
gets a new one and the report maps old to new. Only ids above all others are taken, so a server's workers,
which see additions by the newest id, notice the import.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, selectinload

from reclaim.banks.service import add_content, get_bank, withdraw_content
from reclaim.exchange import Format, SharedHash, read_list, write_list
from reclaim.models import SignalValue
from reclaim.signals import get_signal
from reclaim.store.models import Bank, BankContent, ContentSignal, utcnow

EXCHANGED = ("pdq", "md5", "sha256", "vpdq")  # never keypoint sets (invertible to a coarse picture) or faces


@dataclass(frozen=True)
class ImportReport:
    added: int
    present: int  # already in the bank (active or withdrawn: left as they are)
    withdrawn: int  # active here, now withdrawn
    ignored: int  # signal types Reclaim does not match on (TMK, URL, text)
    ids_kept: int = 0  # new contents that kept the HMA id the list gave them
    renumbered: dict[int, int] = field(default_factory=dict)  # listed HMA id -> the new one (it was taken)


def bank_hashes(session: Session, bank_name: str, *, include_withdrawn: bool = False) -> list[SharedHash]:
    bank = get_bank(session, bank_name)
    contents = session.scalars(select(BankContent).where(BankContent.bank_id == bank.id)
                               .options(selectinload(BankContent.signals)).order_by(BankContent.id))
    shared = []
    for content in contents:
        if content.withdrawn_at and not include_withdrawn:
            continue
        names = {s.signal for s in content.signals}
        video = "vpdq" in names or "pdq" not in names  # a photo always has its PDQ; digests alone: a video's
        shared += [SharedHash(s.signal, s.value, content.content_id, s.quality, content.withdrawn_at is not None,
                              content.withdrawn_at or content.added_at, video, content.note, content.id)
                   for s in content.signals if s.signal in EXCHANGED and s.blob is None]
    return shared


def export_bank(session: Session, bank_name: str, fmt: Format = Format.HMA_CSV, *,
                include_withdrawn: bool = False) -> str:
    return write_list(bank_hashes(session, bank_name, include_withdrawn=include_withdrawn), fmt)


def export_hma_csv(session: Session, bank_name: str, *, include_withdrawn: bool = False) -> str:
    return export_bank(session, bank_name, Format.HMA_CSV, include_withdrawn=include_withdrawn)


def import_list(session: Session, bank: Bank, path: Path, *, strict: bool = True) -> ImportReport:
    """Apply the list at ``path`` (any format) to ``bank``; ``strict``: an unknown signal type is an error."""
    listed = read_list(path, strict=strict)
    held = {(s.signal, s.value): c for s, c in session.execute(
        select(ContentSignal, BankContent).join(BankContent).where(BankContent.bank_id == bank.id))}
    present = withdrawn = 0
    fresh: dict[tuple[str, bool], list[SharedHash]] = {}
    for row in listed.rows:
        content = held.get((row.signal, row.value))
        if content is None:
            fresh.setdefault((row.content_id, row.withdrawn), []).append(row)
        elif row.withdrawn and content.withdrawn_at is None:
            withdraw_content(session, bank.name, content.content_id)
            withdrawn += 1
        elif not row.withdrawn:
            present += 1
    added = kept = 0
    renumbered: dict[int, int] = {}
    top = session.scalar(select(func.coalesce(func.max(BankContent.id), 0))) or 0
    given = False  # an id was given explicitly since PostgreSQL's sequence was last set past them
    for (content_id, gone), rows in sorted(fresh.items(), key=lambda item: item[1][0].hma_id or 0):
        values = [SignalValue(r.signal, get_signal(r.signal).version, r.value, r.quality) for r in rows]
        listed_id = rows[0].hma_id
        pk = listed_id if listed_id is not None and listed_id > top else None
        if pk is None and given:
            _advance_id_sequence(session)
            given = False
        content = add_content(session, bank, _free_id(session, bank, content_id, path), values,
                              note=rows[0].note or f"imported from {path.name}", pk=pk)
        given = given or pk is not None
        top = max(top, content.id)
        if listed_id is not None:
            if content.id == listed_id:
                kept += 1
            else:
                renumbered[listed_id] = content.id
        if gone:  # never held here: recorded as withdrawn, so no later list can add it as active
            content.withdrawn_at = utcnow()
        else:
            added += 1
    if given:
        _advance_id_sequence(session)
    return ImportReport(added, present, withdrawn, listed.ignored, kept, renumbered)


def _advance_id_sequence(session: Session) -> None:
    """PostgreSQL's id sequence does not see ids given explicitly: set it past them (SQLite needs nothing)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT setval(pg_get_serial_sequence('bank_content', 'id'), "
                             "(SELECT max(id) FROM bank_content))"))


def _free_id(session: Session, bank: Bank, content_id: str, path: Path) -> str:
    candidate, n = content_id, 1
    while session.scalar(select(BankContent.id).where(BankContent.bank_id == bank.id,
                                                      BankContent.content_id == candidate)) is not None:
        candidate = f"{content_id}@{path.name}" + (f"#{n}" if n > 1 else "")
        n += 1
    return candidate


def import_hma_csv(session: Session, bank_name: str, path: Path) -> int:
    """Import a hash list (CSV, pytx signal file or StopNCII JSON) into an existing bank; contents added."""
    return import_list(session, get_bank(session, bank_name), path).added
