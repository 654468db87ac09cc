"""HMA / ThreatExchange CSV: ``signal_type,signal_value`` plus optional columns, so banks move to and from
Meta's Hasher-Matcher-Actioner unchanged. Hashes only: a hash list never carries media.

Import accepts a header row (``signal_type``, ``signal_value`` or pytx's ``signal_str``, and optionally
``content_id``, ``note``, ``quality``) or bare two-column rows. Rows that share a content id become one
content; rows without one get ``<signal_type>:<value>``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from reclaim.banks.service import add_content, get_bank
from reclaim.errors import AlreadyExists, ReclaimError, UnreadableFile, UserError
from reclaim.models import SignalValue
from reclaim.signals import get_signal
from reclaim.store.models import BankContent

HMA_COLUMNS = ("signal_type", "signal_value", "content_id", "quality", "note", "added_at", "withdrawn")
_VALUE_ALIASES = ("signal_value", "signal_str", "signal")


def export_hma_csv(session: Session, bank_name: str, *, include_withdrawn: bool = False) -> str:
    bank = get_bank(session, bank_name)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HMA_COLUMNS)
    contents = session.scalars(
        select(BankContent).where(BankContent.bank_id == bank.id).order_by(BankContent.id)
    )
    for content in contents:
        if content.withdrawn_at and not include_withdrawn:
            continue
        for sig in content.signals:
            if sig.blob is not None:  # a keypoint set: not exchangeable, and invertible to a coarse picture
                continue
            writer.writerow(
                (
                    sig.signal,
                    sig.value,
                    content.content_id,
                    "" if sig.quality is None else sig.quality,
                    content.note,
                    content.added_at.isoformat(),
                    "true" if content.withdrawn_at else "false",
                )
            )
    return out.getvalue()


def import_hma_csv(session: Session, bank_name: str, path: Path) -> int:
    """Add every row of the CSV at ``path`` to the bank; return how many contents were added.

    The whole file is validated before anything is written, so a bad row loses nothing.
    """
    bank = get_bank(session, bank_name)
    grouped: dict[str, list[SignalValue]] = {}
    notes: dict[str, str] = {}
    for line_no, row in _rows(path):
        try:
            signal = get_signal(row["signal_type"].strip().lower())
            quality = int(row["quality"]) if row.get("quality") else None
            value = signal.value(row["value"], quality)
        except (ReclaimError, ValueError) as exc:
            message = exc.message if isinstance(exc, ReclaimError) else str(exc)
            raise UserError(f"{path}:{line_no}: {message}") from exc
        content_id = (row.get("content_id") or "").strip() or f"{value.signal}:{value.value}"
        grouped.setdefault(content_id, []).append(value)
        notes.setdefault(content_id, (row.get("note") or "").strip())
    for content_id, values in grouped.items():
        try:
            add_content(session, bank, content_id, values, notes[content_id])
        except AlreadyExists as exc:
            raise AlreadyExists(f"{path}: {exc.message}") from exc
    return len(grouped)


def _rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise UnreadableFile(f"{path}: cannot read hash list ({exc})") from exc
    reader = csv.reader(io.StringIO(text))
    header: list[str] | None = None
    for line_no, cells in enumerate(reader, start=1):
        if not cells or not "".join(cells).strip() or cells[0].startswith("#"):
            continue
        lowered = [c.strip().lower() for c in cells]
        if header is None and "signal_type" in lowered:
            header = lowered
            if not any(alias in header for alias in _VALUE_ALIASES):
                raise UserError(f"{path}:{line_no}: header has signal_type but no signal_value column")
            continue
        if header is None:
            if len(cells) < 2:
                raise UserError(f"{path}:{line_no}: expected 'signal_type,signal_value', got {cells!r}")
            yield line_no, {"signal_type": cells[0], "value": cells[1]}
            continue
        row = dict(zip(header, cells, strict=False))
        row["value"] = next((row[a] for a in _VALUE_ALIASES if row.get(a)), "")
        yield line_no, row
