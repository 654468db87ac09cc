"""Self-report cases over the store: create (number + PIN), check a PIN, count, withdraw, attach to a case.

The hashes were computed by the person's browser, so nothing here trusts them beyond their form: each is
parsed as its signal's text (a PDQ hash keeps the quality the browser gave, and the matcher's quality floor
applies to it as to any other). They are banked as content ``<content prefix>/<n>`` in one bank of kind
``self-report``, where partner lookups match them at once through the usual freshness path. The prefix is
random and separate from the case number, so a partner that sees a matched content id learns nothing it could
use at ``/self-report/status``.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select, update
from sqlalchemy.orm import Session

from reclaim.accounts.passwords import hash_pin, verify_password
from reclaim.banks.service import add_content, create_bank
from reclaim.cases import get_case
from reclaim.errors import NotFound, UserError
from reclaim.models import BankKind, SignalValue
from reclaim.signals import get_signal
from reclaim.store.models import Bank, BankContent, Case, SelfReport, utcnow

log = logging.getLogger(__name__)

BANK_NAME = "self-reports"
MAX_ITEMS = 200  # pictures and videos in one report
PIN_DIGITS = 8
_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read aloud and typed on a phone
_PREFIX = re.compile(r"^sr-[0-9a-f]{16}$")


@dataclass(frozen=True)
class ReportedItem:
    """One picture or video as the browser described it: digests of its bytes, and PDQ for a photo."""

    md5: str
    sha256: str | None = None
    pdq: str | None = None
    pdq_quality: int | None = None

    def values(self) -> list[SignalValue]:
        """The item's hashes as parsed signal values (a malformed one is a UserError naming it)."""
        out = [self._value("md5", self.md5)]
        if self.sha256:
            out.append(self._value("sha256", self.sha256))
        if self.pdq:
            if self.pdq_quality is None or not 0 <= self.pdq_quality <= 100:
                raise UserError(f"pdq {self.pdq[:64]!r} needs its quality, 0-100")
            out.append(self._value("pdq", self.pdq, self.pdq_quality))
        return out

    @staticmethod
    def _value(name: str, text: str, quality: int | None = None) -> SignalValue:
        signal = get_signal(name)
        return SignalValue(signal.name, signal.version, signal.parse(text), quality)


@dataclass(frozen=True)
class ReportStatus:
    number: str
    active: int  # hashes still matched
    withdrawn: int
    lookup_matches: int  # partner lookups that matched one of its hashes
    withdrawn_at: datetime | None


def normalise_number(text: str) -> str:
    """``sr 7k3m 9qx2`` -> ``SR-7K3M-9QX2``; anything else is returned upper-cased (and then not found)."""
    compact = re.sub(r"[\s-]", "", text.upper())
    if compact.startswith("SR") and len(compact) == 10:
        return f"SR-{compact[2:6]}-{compact[6:]}"
    return compact[:20]


def normalise_pin(text: str) -> str:
    return re.sub(r"[\s-]", "", text)[:40]


def _bank(session: Session) -> Bank:
    bank = session.scalar(select(Bank).where(Bank.name == BANK_NAME))
    return bank or create_bank(session, BANK_NAME, BankKind.SELF_REPORT)


def _new_number(session: Session) -> str:
    while True:
        code = "".join(secrets.choice(_ALPHABET) for _ in range(8))
        number = f"SR-{code[:4]}-{code[4:]}"
        if session.scalar(select(SelfReport.id).where(SelfReport.number == number)) is None:
            return number


def create_report(session: Session, items: Sequence[ReportedItem]) -> tuple[SelfReport, str]:
    """Bank the items' hashes under a new case number; returns the report and its PIN (never stored in clear).

    Items repeated in the request (same md5) are banked once. Raises UserError for an empty or oversized
    report or a malformed hash, before anything is written.
    """
    unique = list({item.md5.strip().lower(): item for item in items}.values())
    if not unique:
        raise UserError("a self-report needs at least one picture or video")
    if len(unique) > MAX_ITEMS:
        raise UserError(f"a self-report takes at most {MAX_ITEMS} pictures and videos, got {len(unique)}")
    values = [item.values() for item in unique]
    pin = "".join(secrets.choice("0123456789") for _ in range(PIN_DIGITS))
    report = SelfReport(number=_new_number(session), content_prefix=f"sr-{secrets.token_hex(8)}",
                        pin_hash=hash_pin(pin), lookup_matches=0)
    session.add(report)
    bank = _bank(session)
    for n, item_values in enumerate(values, 1):
        add_content(session, bank, f"{report.content_prefix}/{n}", item_values, note="self-report, unverified")
    session.flush()
    log.info("self-report %s: %d items banked in %s", report.number, len(values), BANK_NAME)
    return report, pin


def find_report(session: Session, number: str, pin: str) -> SelfReport | None:
    """The report if ``pin`` is its PIN; None otherwise (an unknown number costs the same Argon2 time)."""
    report = session.scalar(select(SelfReport).where(SelfReport.number == normalise_number(number)))
    ok = verify_password(report.pin_hash if report else None, normalise_pin(pin))
    return report if ok and report is not None else None


def _contents(report: SelfReport) -> Select[Any]:
    return (select(BankContent).join(Bank).where(Bank.name == BANK_NAME)
            .where(BankContent.content_id.startswith(f"{report.content_prefix}/", autoescape=True)))


def report_status(session: Session, report: SelfReport) -> ReportStatus:
    contents = list(session.scalars(_contents(report)))
    gone = sum(c.withdrawn_at is not None for c in contents)
    return ReportStatus(report.number, len(contents) - gone, gone, report.lookup_matches, report.withdrawn_at)


def withdraw_report(session: Session, report: SelfReport) -> int:
    """Withdraw every hash of the report (kept on record, never matched again); returns how many were active."""
    now = utcnow()
    active = [c for c in session.scalars(_contents(report)) if c.withdrawn_at is None]
    for content in active:
        content.withdrawn_at = now
    if report.withdrawn_at is None:
        report.withdrawn_at = now
    session.flush()
    log.info("self-report %s withdrawn: %d hashes", report.number, len(active))
    return len(active)


def attach_report(session: Session, number: str, case_name: str, actor: str) -> SelfReport:
    """An officer ties a self-report to a case (so its matches are followed up there)."""
    report = session.scalar(select(SelfReport).where(SelfReport.number == normalise_number(number)))
    if report is None:
        raise NotFound(f"no self-report {number[:40]!r}")
    report.case_id = get_case(session, case_name).id
    report.attached_by, report.attached_at = actor, utcnow()
    session.flush()
    return report


def list_reports(session: Session) -> list[tuple[SelfReport, ReportStatus, str | None]]:
    """Every self-report, newest first, with its counts and the name of the case it is attached to."""
    reports = list(session.scalars(select(SelfReport).order_by(SelfReport.created_at.desc(), SelfReport.id.desc())))
    cases = {case_id: name for case_id, name in session.execute(select(Case.id, Case.name))}
    return [(r, report_status(session, r), cases.get(r.case_id) if r.case_id else None) for r in reports]


def note_lookup_matches(session: Session, content_ids: Iterable[str]) -> None:
    """Count a lookup that matched these self-report contents, once per report it touched."""
    prefixes = {cid.partition("/")[0] for cid in content_ids if _PREFIX.match(cid.partition("/")[0])}
    if prefixes:
        session.execute(update(SelfReport).where(SelfReport.content_prefix.in_(prefixes))
                        .values(lookup_matches=SelfReport.lookup_matches + 1, last_matched_at=utcnow()))
