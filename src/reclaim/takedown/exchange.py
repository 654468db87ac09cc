"""Hash lists shared with other centres and platforms: hashes only — no media, no locators, no names.

- HMA / ThreatExchange CSV: ``signal_type,signal_value,content_id,quality,withdrawn``; signal names are
  python-threatexchange's (``pdq``, 64 lowercase hex), so HMA and pytx read the rows unchanged.
- StopNCII-style JSON, shaped like StopNCII's FetchHashes answer (``count``, ``hashRecords[]`` of
  ``signalType`` ImagePDQ/VideoMD5, ``hashValue``, ``hashStatus``, ``caseNumbers``), so pytx's client parses it.
  The case number is an opaque reference (default ``RC-<case id>``), never the case name.

A withdrawal list is the same file with ``withdrawn=true`` / ``hashStatus: Withdrawn``. Importing it withdraws
those hashes from the bank at once: the next match no longer sees them (DESIGN: privacy rule 4).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from reclaim.banks.service import add_content, create_bank, withdraw_content
from reclaim.cases.review import case_bank_name
from reclaim.cases.service import get_case
from reclaim.errors import ReclaimError, UnreadableFile, UserError
from reclaim.models import BankKind
from reclaim.signals import get_signal
from reclaim.store.models import Bank, BankContent, ContentSignal, utcnow
from reclaim.takedown.tracking import aware

CSV_COLUMNS = ("signal_type", "signal_value", "content_id", "quality", "withdrawn")
TO_STOPNCII = {"pdq": "ImagePDQ", "md5": "VideoMD5"}
FROM_NAME = {"pdq": "pdq", "md5": "md5", "sha256": "sha256", "video_md5": "md5",
             "ImagePDQ": "pdq", "VideoMD5": "md5"}  # ours, pytx's and StopNCII's names
GONE = ("Withdrawn", "Deleted")


class Format(StrEnum):
    HMA_CSV = "hma-csv"
    STOPNCII_JSON = "stopncii-json"


@dataclass(frozen=True)
class SharedHash:
    signal: str
    value: str
    content_id: str
    quality: int | None
    withdrawn: bool
    changed: datetime
    video: bool = False  # StopNCII takes a video's MD5 but an image's PDQ only


@dataclass(frozen=True)
class ImportReport:
    added: int
    present: int  # already active in the bank
    withdrawn: int
    ignored: int  # signal types Reclaim does not match on (TMK, URL, text)


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
        shared += [SharedHash(s.signal, s.value, content_id, s.quality, withdrawals, changed,
                              video) for s in signals if s.signal in ("pdq", "md5", "sha256")]
    return shared


def export_case(session: Session, case_name: str, fmt: Format, *, case_number: str = "",
                withdrawals: bool = False) -> str:
    """The case's hash list (or withdrawal list) as text; the case number defaults to ``RC-<case id>``."""
    number = case_number or f"RC-{get_case(session, case_name).id:06d}"
    return export_hashes(case_hashes(session, case_name, withdrawals=withdrawals), fmt, number)


def export_hashes(hashes: list[SharedHash], fmt: Format, case_number: str) -> str:
    if fmt is Format.HMA_CSV:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for h in hashes:
            writer.writerow((h.signal, h.value, h.content_id, "" if h.quality is None else h.quality,
                             "true" if h.withdrawn else "false"))
        return out.getvalue()
    records: list[dict[str, Any]] = [
        {"lastModtimestamp": int(h.changed.timestamp()), "signalType": TO_STOPNCII[h.signal],
         "hashValue": h.value, "hashStatus": "Withdrawn" if h.withdrawn else "Active",
         "caseNumbers": {case_number: "Withdrawn" if h.withdrawn else "Active"}, "CSPFeedbacks": []}
        for h in hashes if h.signal == "pdq" or (h.signal == "md5" and h.video)]
    latest = max((r["lastModtimestamp"] for r in records), default=int(utcnow().timestamp()))
    return json.dumps({"count": len(records), "nextPageToken": None, "nextSetTimestamp": latest,
                       "hasMoreRecords": False, "hashRecords": records}, indent=2) + "\n"


def import_hashes(session: Session, path: Path, bank_name: str) -> ImportReport:
    """Add a list's active hashes to the bank (created as ``known`` if new) and apply its withdrawals.

    The whole file is read and validated first, so a bad row changes nothing.
    """
    rows, ignored = _read(path)
    bank = session.scalar(select(Bank).where(Bank.name == bank_name)) or create_bank(session, bank_name, BankKind.KNOWN)
    active = {(s.signal, s.value): c for s, c in session.execute(
        select(ContentSignal, BankContent).join(BankContent).where(BankContent.bank_id == bank.id))}
    added = present = withdrawn = 0
    fresh: dict[str, list[Any]] = {}
    for row in rows:
        content = active.get((row.signal, row.value))
        if row.withdrawn:
            if content is not None and content.withdrawn_at is None:
                withdraw_content(session, bank.name, content.content_id)
                withdrawn += 1
        elif content is not None:
            present += 1
        else:
            fresh.setdefault(row.content_id, []).append(get_signal(row.signal).value(row.value, row.quality))
    for content_id, values in fresh.items():
        taken = session.scalar(select(BankContent.id).where(BankContent.bank_id == bank.id,
                                                            BankContent.content_id == content_id))
        add_content(session, bank, content_id if taken is None else f"{content_id}@{path.name}", values,
                    note=f"imported from {path.name}")
        added += 1
    return ImportReport(added, present, withdrawn, ignored)


def _read(path: Path) -> tuple[list[SharedHash], int]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise UnreadableFile(f"{path}: cannot read hash list ({exc})") from exc
    raw = _json_rows(path, text) if text.lstrip().startswith("{") else _csv_rows(path, text)
    rows, ignored = [], 0
    for where, name, value, quality, content_id, withdrawn in raw:
        signal = FROM_NAME.get(name.strip())
        if signal is None:
            ignored += 1
            continue
        try:
            parsed = get_signal(signal).value(value.strip(), quality)
        except ReclaimError as exc:
            raise UserError(f"{path}:{where}: {exc.message}") from exc
        rows.append(SharedHash(signal, parsed.value, content_id or f"{signal}:{parsed.value}", quality, withdrawn,
                               utcnow()))
    return rows, ignored


def _csv_rows(path: Path, text: str) -> list[tuple[str, str, str, int | None, str, bool]]:
    reader = csv.DictReader(io.StringIO(text))
    fields = [f.strip().lower() for f in reader.fieldnames or []]
    value_key = next((k for k in ("signal_value", "signal_str") if k in fields), None)
    if "signal_type" not in fields or value_key is None:
        raise UserError(f"{path}: not an HMA CSV: the header needs signal_type and signal_value")
    rows = []
    for line, row in enumerate(reader, start=2):
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()}
        quality = row.get("quality") or ""
        if quality and not quality.isdigit():
            raise UserError(f"{path}:{line}: quality must be a number, got {quality!r}")
        rows.append((f"line {line}", row["signal_type"], row[value_key], int(quality) if quality else None,
                     row.get("content_id", ""), row.get("withdrawn", "").lower() in ("true", "1", "yes")))
    return rows


def _json_rows(path: Path, text: str) -> list[tuple[str, str, str, int | None, str, bool]]:
    try:
        records = json.loads(text)["hashRecords"]
        return [(f"hashRecords[{n}]", r["signalType"], r["hashValue"], None, "", r.get("hashStatus") in GONE)
                for n, r in enumerate(records)]
    except (ValueError, KeyError, TypeError) as exc:
        raise UserError(f"{path}: not a StopNCII-style hash list ({exc.__class__.__name__}: {exc})") from exc
