"""How a scan writes items and their matches to the store, a batch at a time (see ``scan``).

Every function works on one batch of locators in one session, so a scan of a 200,000-message export
never holds more than a batch of rows, and a kill loses at most the batch being written.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, selectinload

from reclaim.hashing import FileHashes, HashOutcome
from reclaim.identities import FaceMatch, FaceMatcher
from reclaim.identities.matcher import replace_face_matches
from reclaim.matching.keypoints import KeypointMatch
from reclaim.matching.matcher import Matcher
from reclaim.matching.video import query_version
from reclaim.models import Match, MediaItem, SignalValue, Skipped
from reclaim.store.models import Item, ItemSignal, MatchRow, utcnow


@dataclass(frozen=True)
class Stored:
    """What the store knows of an item from an earlier scan: enough to skip it if the file is unchanged."""

    size: int | None
    mtime_ns: int | None
    failure: Skipped | None


@dataclass
class Found:
    """The matches of a batch, by locator."""

    matches: dict[str, list[Match]] = field(default_factory=dict)
    faces: dict[str, list[FaceMatch]] = field(default_factory=dict)


def stored(session: Session, case_id: int, locators: Sequence[str]) -> dict[str, Stored]:
    rows = session.execute(select(Item.locator, Item.size, Item.mtime_ns, Item.error, Item.error_code)
                           .where(Item.case_id == case_id, Item.locator.in_(locators)))
    return {loc: Stored(size, mtime, Skipped(loc, error or "", code) if code else None)
            for loc, size, mtime, error, code in rows}


def unchanged(item: MediaItem, before: Stored | None) -> bool:
    """A file with the size and modification time stored for its locator is not hashed again."""
    if before is None:
        return False
    if item.remote is not None:
        return (item.remote.size, item.remote.modified_ns) == (before.size, before.mtime_ns)
    if item.path is None:
        return False
    try:
        stat = os.stat(item.path)
    except OSError:
        return False
    return (stat.st_size, stat.st_mtime_ns) == (before.size, before.mtime_ns)


def rows_for(session: Session, case_id: int, scan_id: int, locators: Iterable[str]) -> dict[str, Item]:
    """The items at these locators, created where new, all marked as seen by this scan."""
    wanted = list(dict.fromkeys(locators))
    rows = {row.locator: row for row in session.scalars(
        select(Item).where(Item.case_id == case_id, Item.locator.in_(wanted)))}
    for locator in wanted:
        if locator not in rows:
            rows[locator] = Item(case_id=case_id, locator=locator, context={})
            session.add(rows[locator])
        rows[locator].scan_id, rows[locator].scanned_at = scan_id, utcnow()
    return rows


def stamp(item: MediaItem) -> tuple[int | None, int | None]:
    """(size, mtime) to store with a hashed item: what ``unchanged`` compares on the next scan."""
    if item.remote is not None:
        return item.remote.size, item.remote.modified_ns
    if item.path is None:
        return len(item.data or b""), None
    try:
        stat = os.stat(item.path)
    except OSError:
        return None, None
    return stat.st_size, stat.st_mtime_ns


def write_hashed(row: Item, item: MediaItem, outcome: HashOutcome, size_mtime: tuple[int | None, int | None]
                 ) -> None:
    row.context = dict(item.context)
    row.size, row.mtime_ns = size_mtime
    row.signals = [
        ItemSignal(signal=v.signal, version=v.version, value=v.value, quality=v.quality, blob=v.blob)
        for v in outcome.values
    ]
    row.sha256 = next((v.value for v in outcome.values if v.signal == "sha256"), None)
    if isinstance(outcome, FileHashes):
        row.status = "bytes_only" if outcome.bytes_only else "hashed"
        row.error_code = row.error = None
        row.media_format, row.width, row.height = outcome.format, outcome.width, outcome.height
    else:
        row.status, row.error_code, row.error = "failed", outcome.error.code, outcome.error.message


def write_skipped(row: Item, skip: Skipped) -> None:
    row.context = {}
    row.status, row.error_code, row.error = "skipped", skip.code, skip.reason
    row.size = row.mtime_ns = row.sha256 = None
    row.signals = []


def write_missing(row: Item, item: MediaItem) -> None:
    """Media the source says is absent (left out of an export): the message is kept as evidence."""
    row.context = dict(item.context)
    row.status, row.error_code, row.error = "missing_media", None, None
    row.size = row.mtime_ns = row.sha256 = None
    row.signals = []


def match_rows(session: Session, rows: Iterable[Item], matcher: Matcher, faces: FaceMatcher | None) -> Found:
    """Replace the stored matches of these items with a fresh match of their stored hashes."""
    session.flush()
    rows = list(rows)
    session.execute(delete(MatchRow).where(MatchRow.item_id.in_([r.id for r in rows])))
    loaded = session.scalars(select(Item).where(Item.id.in_([r.id for r in rows]))
                             .options(selectinload(Item.signals))).all()
    found, faces_by_item = Found(), dict[int, list[FaceMatch]]()
    for item in loaded:
        values = [_signal_value(s) for s in item.signals]
        versions = {s.signal: s.version for s in item.signals}
        result = matcher.match(values)
        for match, suppressed in [(m, False) for m in result.matches] + [(m, True) for m in result.suppressed]:
            session.add(MatchRow(
                item_id=item.id, content_signal_id=match.entry_id, bank=match.bank,
                bank_kind=match.bank_kind.value, content_id=match.content_id, signal=match.signal,
                signal_version=query_version(versions, match.signal), distance=match.distance,
                frame_time=match.frame_time, suppressed=suppressed,
                details=match.details() if isinstance(match, KeypointMatch) else None,
            ))
        if result.matches:
            found.matches[item.locator] = result.matches
        face_matches = faces.match(session, values, query=item.locator, action="scan") if faces else []
        faces_by_item[item.id] = face_matches
        if face_matches:
            found.faces[item.locator] = face_matches
    replace_face_matches(session, faces_by_item)
    return found


def _signal_value(row: ItemSignal) -> SignalValue:
    return SignalValue(row.signal, row.version, row.value, row.quality, blob=row.blob)
