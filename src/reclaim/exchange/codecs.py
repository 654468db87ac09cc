"""Read and write each hash-list format (see the package docstring); ``read_list`` detects which it is."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from reclaim.errors import ReclaimError, UnreadableFile, UserError
from reclaim.exchange.model import Format, ListRows, SharedHash
from reclaim.signals import get_signal
from reclaim.signals.vpdq import features_of, from_pytx, to_pytx

CSV_COLUMNS = ("signal_type", "signal_value", "content_id", "quality", "note", "added_at", "withdrawn", "hma_id")
_VALUE_COLUMNS = ("signal_value", "signal_str", "signal")
# pytx's and StopNCII's names -> (Reclaim's signal, whether it names a video's hash)
FOREIGN = {"pdq": ("pdq", False), "md5": ("md5", False), "sha256": ("sha256", False), "vpdq": ("vpdq", True),
           "video_md5": ("md5", True), "video_sha256": ("sha256", True), "ImagePDQ": ("pdq", False),
           "VideoMD5": ("md5", True)}
GONE = ("Withdrawn", "Deleted")
MAX_LIST_BYTES = 512 * 1024 * 1024


def write_list(hashes: Iterable[SharedHash], fmt: Format, case_number: str = "") -> str:
    hashes = list(hashes)
    if fmt is Format.PYTX:
        return _pytx(hashes)
    if fmt is Format.STOPNCII_JSON:
        return _stopncii(hashes, case_number)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for h in hashes:
        writer.writerow((h.signal, h.value, h.content_id, "" if h.quality is None else h.quality, h.note,
                         h.changed.isoformat() if h.changed else "", "true" if h.withdrawn else "false",
                         "" if h.hma_id is None else h.hma_id))
    return out.getvalue()


def _pytx(hashes: list[SharedHash]) -> str:
    """pytx signal-file lines; a content's vpdq frames make one ``vpdq`` line (pytx's JSON feature list)."""
    lines: list[str] = []
    frames: dict[str, list[SharedHash]] = {}
    for h in hashes:
        if h.withdrawn:
            continue
        if h.signal == "vpdq":
            frames.setdefault(h.content_id, []).append(h)
        elif h.signal == "pdq":
            lines.append(f"pdq {h.value}")
        elif h.video and h.signal in ("md5", "sha256"):
            lines.append(f"video_{h.signal} {h.value}")
    for rows in frames.values():
        kind = get_signal("vpdq")
        lines.append("vpdq " + to_pytx(features_of([kind.value(r.value, r.quality) for r in rows])))
    return "".join(f"{line}\n" for line in lines)


def _stopncii(hashes: list[SharedHash], case_number: str) -> str:
    records: list[dict[str, Any]] = []
    for h in hashes:
        if not (h.signal == "pdq" or (h.signal == "md5" and h.video)):
            continue
        status = "Withdrawn" if h.withdrawn else "Active"
        records.append({"lastModtimestamp": int(h.changed.timestamp()) if h.changed else 0,
                        "signalType": "ImagePDQ" if h.signal == "pdq" else "VideoMD5", "hashValue": h.value,
                        "hashStatus": status, "caseNumbers": {case_number: status} if case_number else {},
                        "CSPFeedbacks": []})
    latest = max((r["lastModtimestamp"] for r in records), default=0)
    return json.dumps({"count": len(records), "nextPageToken": None, "nextSetTimestamp": latest,
                       "hasMoreRecords": False, "hashRecords": records}, indent=2) + "\n"


def read_list(path: Path, *, strict: bool = False) -> ListRows:
    """Every row of the list at ``path``, validated; ``strict``: an unknown signal type is an error naming its
    line, else it is counted in ``ignored``. Nothing is written, so a bad row loses nothing."""
    try:
        if path.stat().st_size > MAX_LIST_BYTES:
            raise UserError(f"{path}: hash list is over {MAX_LIST_BYTES:,} bytes")
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise UnreadableFile(f"{path}: cannot read hash list ({exc})") from exc
    stripped = text.lstrip()
    if stripped.startswith("{"):
        fmt, raw = Format.STOPNCII_JSON, _json_rows(path, text)
    elif _is_pytx(_first_line(stripped)):
        fmt, raw = Format.PYTX, _pytx_rows(text)
    else:
        fmt, raw = Format.HMA_CSV, _csv_rows(path, text)
    rows, ignored = [], 0
    for where, name, value, quality, content_id, withdrawn, note, hma_id in raw:
        known = FOREIGN.get(name.strip()) or FOREIGN.get(name.strip().lower())
        if known is None:
            if strict:
                raise UserError(f"{path}:{where}: unknown signal type {name.strip()[:50]!r}")
            ignored += 1
            continue
        signal, video = known
        try:
            parsed = _parse(signal, value, quality)
        except ReclaimError as exc:
            raise UserError(f"{path}:{where}: {exc.message}") from exc
        for value_text, frame_quality in parsed:
            rows.append(SharedHash(signal, value_text, content_id or f"{signal}:{parsed[0][0]}",
                                   frame_quality if frame_quality is not None else quality, withdrawn, None,
                                   video, note, hma_id))
    return ListRows(fmt, rows, ignored)


def _parse(signal: str, value: str, quality: int | None) -> list[tuple[str, int | None]]:
    """(value, quality) of one row; a pytx vpdq row (a JSON feature list) is one value per frame."""
    if signal == "vpdq" and value.strip().startswith("["):
        return [(str(f), f.quality) for f in from_pytx(value)]
    parsed = get_signal(signal).value(value.strip(), quality)
    return [(parsed.value, parsed.quality)]


def _is_pytx(line: str) -> bool:
    """``<signal_type> <signal>``: a space after a type name with no comma in it (CSV rows have one first)."""
    name, space, _ = line.partition(" ")
    return bool(space and name) and "," not in name


def _first_line(text: str) -> str:
    return next((line for line in text.splitlines() if line.strip() and not line.startswith("#")), "")


Raw = tuple[str, str, str, int | None, str, bool, str, int | None]  # where, type, value, quality, id, gone, note, hma


def _pytx_rows(text: str) -> list[Raw]:
    rows: list[Raw] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        name, _, signal = line.strip().partition(" ")
        rows.append((f"{number}", name, signal, None, "", False, "", None))
    return rows


def _csv_rows(path: Path, text: str) -> list[Raw]:
    rows: list[Raw] = []
    header: list[str] | None = None
    for number, cells in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not cells or not "".join(cells).strip() or cells[0].startswith("#"):
            continue
        lowered = [c.strip().lower() for c in cells]
        if header is None and "signal_type" in lowered:
            header = lowered
            if not any(alias in header for alias in _VALUE_COLUMNS):
                raise UserError(f"{path}:{number}: header has signal_type but no signal_value column")
            continue
        if header is None:
            if not rows and cells[0].strip() not in FOREIGN:
                raise UserError(f"{path}:{number}: not an HMA CSV: expected a signal_type,signal_value header "
                                f"or row, got {cells[:3]!r}")
            if len(cells) < 2:
                raise UserError(f"{path}:{number}: expected 'signal_type,signal_value', got {cells[:3]!r}")
            rows.append((f"{number}", cells[0], cells[1], None, "", False, "", None))
            continue
        row = {k: (v or "").strip() for k, v in zip(header, cells, strict=False)}
        quality = row.get("quality", "")
        if quality and not quality.isdigit():
            raise UserError(f"{path}:{number}: quality must be a number, got {quality[:20]!r}")
        hma_id = row.get("hma_id", "")
        if hma_id and not (hma_id.isascii() and hma_id.isdigit() and 0 < int(hma_id) < 2**31):
            raise UserError(f"{path}:{number}: hma_id must be a positive integer, got {hma_id[:20]!r}")
        value = next((row[a] for a in _VALUE_COLUMNS if row.get(a)), "")
        rows.append((f"{number}", row.get("signal_type", ""), value, int(quality) if quality else None,
                     row.get("content_id", ""), row.get("withdrawn", "").lower() in ("true", "1", "yes"),
                     row.get("note", ""), int(hma_id) if hma_id else None))
    return rows


def _json_rows(path: Path, text: str) -> list[Raw]:
    try:
        records = json.loads(text)["hashRecords"]
        return [(f"hashRecords[{n}]", str(r["signalType"]), str(r["hashValue"]), None, "",
                 r.get("hashStatus") in GONE, "", None) for n, r in enumerate(records)]
    except (ValueError, KeyError, TypeError) as exc:
        raise UserError(f"{path}: not a StopNCII-style hash list ({exc.__class__.__name__}: {exc})") from exc
