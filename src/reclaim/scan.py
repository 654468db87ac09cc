"""Scan a source into a case: hash every item on all cores, store as we go, then match against banks.

Resumable by construction: results are committed in small batches, and a file already stored for the
case with the same size and modification time is not hashed again. Killing a scan loses at most the
uncommitted batch; running the same command again finishes the job with the same final results.
Matching always runs over every item of the target from the stored hashes, so a rerun also picks up
bank changes (new hashes, withdrawals) without rehashing anything.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, selectinload

from reclaim.hashing import FileHashes, HashOutcome, hash_bytes, hash_files
from reclaim.identities import FaceMatch, FaceMatcher, current_actor, face_opt_in
from reclaim.identities.matcher import items_missing_faces, replace_face_matches
from reclaim.matching import Matcher
from reclaim.matching_video import query_version
from reclaim.media import Limits
from reclaim.models import Match, MediaItem, SignalValue, Skipped
from reclaim.sources import FolderSource, Source
from reclaim.store import Store
from reclaim.store.models import Case, Item, ItemSignal, MatchRow, Scan, utcnow

Progress = Callable[[int, int], None]
COMMIT_EVERY_ITEMS = 64
COMMIT_EVERY_SECONDS = 2.0


@dataclass
class ScanReport:
    case: str
    target: str
    scan_id: int
    items: int = 0
    hashed: int = 0
    reused: int = 0
    missing_media: int = 0  # items whose media the source says is absent (kept as evidence, not hashed)
    failed: list[Skipped] = field(default_factory=list)
    matches: dict[str, list[Match]] = field(default_factory=dict)
    face_matches: dict[str, list[FaceMatch]] = field(default_factory=dict)  # only for enrolled identities


def scan_folder(
    store: Store,
    case_name: str,
    target: Path,
    *,
    workers: int | None = None,
    limits: Limits = Limits(),
    on_progress: Progress | None = None,
) -> ScanReport:
    source = FolderSource(str(target), limits=limits)
    return scan_source(store, case_name, source, workers=workers, limits=limits, on_progress=on_progress)


def scan_source(
    store: Store,
    case_name: str,
    source: Source,
    *,
    workers: int | None = None,
    limits: Limits = Limits(),
    on_progress: Progress | None = None,
    actor: str | None = None,
) -> ScanReport:
    """Scan any source whose items carry a file path (see the module docstring). Faces are looked for only
    when identities are enrolled; ``actor`` (default: current_actor()) is who the face audit log names."""
    actor = actor or current_actor()
    with store.session() as session:
        opt_in = face_opt_in(session)
        case = _case(session, case_name)
        scan = Scan(case_id=case.id, target=source.target)
        session.add(scan)
        session.flush()
        case_id, scan_id = case.id, scan.id
    report = ScanReport(case_name, source.target, scan_id)

    found = list(source.iter_items())
    media = [item for item in found if isinstance(item, MediaItem) and item.path is not None]
    blobs = [item for item in found if isinstance(item, MediaItem) and item.path is None and item.data is not None]
    missing = [item for item in found if isinstance(item, MediaItem) and item.path is None and item.data is None]
    report.items, report.missing_media = len(found), len(missing)
    with store.session() as session:
        _record_skipped(session, case_id, scan_id, [s for s in found if isinstance(s, Skipped)])
        _record_missing(session, case_id, scan_id, missing)
        todo = _needs_hashing(session, case_id, media, items_missing_faces(session, case_id) if opt_in else set())
    report.reused = len(media) - len(todo)
    done = report.reused
    if on_progress:
        on_progress(done, len(media))

    locators: dict[Path, list[MediaItem]] = {}
    for item in todo:
        locators.setdefault(_path(item), []).append(item)
    writer = _BatchWriter(store, case_id, scan_id)
    for item in blobs:  # bytes a source already holds (a download): hashed here, never written to disk
        writer.add(item, hash_bytes(item.data or b"", Path(item.locator), limits, opt_in=opt_in))
        report.hashed += 1
    for outcome in hash_files(list(locators), workers=workers, limits=limits, opt_in=opt_in):
        for item in locators[outcome.path]:
            writer.add(item, outcome)
            done += 1
            report.hashed += 1
        if on_progress:
            on_progress(done, len(media))
    writer.flush()

    with store.session() as session:
        faces = FaceMatcher.from_store(session, actor) if opt_in else None
        report.matches, report.face_matches = _match_items(session, case_id, [i.locator for i in found], faces)
        report.failed = _failures(session, case_id, [i.locator for i in found])
        session.get(Scan, scan_id).finished_at = utcnow()  # type: ignore[union-attr]
    return report


def _case(session: Session, name: str) -> Case:
    case = session.scalar(select(Case).where(Case.name == name))
    if case is None:
        case = Case(name=name)
        session.add(case)
        session.flush()
    return case


def _path(item: MediaItem) -> Path:
    assert item.path is not None  # folder items always carry a path
    return item.path


def _needs_hashing(session: Session, case_id: int, items: list[MediaItem], stale: set[str]) -> list[MediaItem]:
    stored = {
        locator: (size, mtime)
        for locator, size, mtime in session.execute(
            select(Item.locator, Item.size, Item.mtime_ns).where(Item.case_id == case_id)
        )
    }
    todo = []
    for item in items:
        try:
            stat = os.stat(_path(item))
            current = (stat.st_size, stat.st_mtime_ns)
        except OSError:
            current = (None, None)
        if stored.get(item.locator) != current or current == (None, None) or item.locator in stale:
            todo.append(item)
    return todo


class _BatchWriter:
    """Upserts items in batches, so a kill loses at most one batch and the database is not hammered."""

    def __init__(self, store: Store, case_id: int, scan_id: int) -> None:
        self.store, self.case_id, self.scan_id = store, case_id, scan_id
        self.pending: list[tuple[MediaItem, HashOutcome]] = []
        self.last = time.monotonic()

    def add(self, item: MediaItem, outcome: HashOutcome) -> None:
        self.pending.append((item, outcome))
        if len(self.pending) >= COMMIT_EVERY_ITEMS or time.monotonic() - self.last > COMMIT_EVERY_SECONDS:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            with self.store.session() as session:
                for item, outcome in self.pending:
                    _upsert(session, self.case_id, self.scan_id, item, outcome)
        self.pending, self.last = [], time.monotonic()


def _upsert(session: Session, case_id: int, scan_id: int, item: MediaItem, outcome: HashOutcome) -> None:
    row = _item_row(session, case_id, scan_id, item.locator)
    row.context = dict(item.context)
    try:
        stat = os.stat(_path(item)) if item.path is not None else None
        row.size, row.mtime_ns = (stat.st_size, stat.st_mtime_ns) if stat else (len(item.data or b""), None)
    except OSError:
        row.size = row.mtime_ns = None
    row.signals = [
        ItemSignal(signal=v.signal, version=v.version, value=v.value, quality=v.quality) for v in outcome.values
    ]
    row.sha256 = next((v.value for v in outcome.values if v.signal == "sha256"), None)
    if isinstance(outcome, FileHashes):
        row.status, row.error_code, row.error = "hashed", None, None
        row.media_format, row.width, row.height = outcome.format, outcome.width, outcome.height
    else:
        row.status, row.error_code, row.error = "failed", outcome.error.code, outcome.error.message


def _item_row(session: Session, case_id: int, scan_id: int, locator: str) -> Item:
    row = session.scalar(select(Item).where(Item.case_id == case_id, Item.locator == locator))
    if row is None:
        row = Item(case_id=case_id, locator=locator, context={})
        session.add(row)
    row.scan_id, row.scanned_at = scan_id, utcnow()
    return row


def _record_skipped(session: Session, case_id: int, scan_id: int, skipped: Iterable[Skipped]) -> None:
    for skip in skipped:
        row = _item_row(session, case_id, scan_id, skip.locator)
        row.context = {}
        row.status, row.error_code, row.error = "skipped", skip.code, skip.reason
        row.size = row.mtime_ns = row.sha256 = None
        row.signals = []


def _record_missing(session: Session, case_id: int, scan_id: int, items: Iterable[MediaItem]) -> None:
    for item in items:
        row = _item_row(session, case_id, scan_id, item.locator)
        row.context = dict(item.context)
        row.status, row.error_code, row.error = "missing_media", None, None
        row.size = row.mtime_ns = row.sha256 = None
        row.signals = []


def _match_items(session: Session, case_id: int, locators: list[str], faces: FaceMatcher | None
                 ) -> tuple[dict[str, list[Match]], dict[str, list[FaceMatch]]]:
    """Replace the stored matches of these items with a fresh match against the current banks and identities."""
    matcher = Matcher.from_store(session)
    found: dict[str, list[Match]] = {}
    found_faces: dict[str, list[FaceMatch]] = {}
    for chunk in _chunks(locators, 500):
        items = session.scalars(
            select(Item).where(Item.case_id == case_id, Item.locator.in_(chunk)).options(selectinload(Item.signals))
        ).all()
        session.execute(delete(MatchRow).where(MatchRow.item_id.in_([i.id for i in items])))
        for item in items:
            values = [_signal_value(s) for s in item.signals]
            versions = {s.signal: s.version for s in item.signals}
            result = matcher.match(values)
            for match, suppressed in [(m, False) for m in result.matches] + [(m, True) for m in result.suppressed]:
                session.add(
                    MatchRow(
                        item_id=item.id, content_signal_id=match.entry_id, bank=match.bank,
                        bank_kind=match.bank_kind.value, content_id=match.content_id, signal=match.signal,
                        signal_version=query_version(versions, match.signal),
                        distance=match.distance, suppressed=suppressed,
                    )
                )
            if result.matches:
                found[item.locator] = result.matches
            face_matches = faces.match(session, values, query=item.locator, action="scan") if faces else []
            replace_face_matches(session, item.id, face_matches)
            if face_matches:
                found_faces[item.locator] = face_matches
    return found, found_faces


def _failures(session: Session, case_id: int, locators: list[str]) -> list[Skipped]:
    failed = []
    for chunk in _chunks(locators, 500):
        rows = session.execute(
            select(Item.locator, Item.error, Item.error_code).where(
                Item.case_id == case_id, Item.locator.in_(chunk), Item.error_code.is_not(None)
            )
        )
        failed += [Skipped(loc, err or "", code or "") for loc, err, code in rows]
    return sorted(failed, key=lambda s: s.locator)


def _signal_value(row: ItemSignal) -> SignalValue:
    return SignalValue(row.signal, row.version, row.value, row.quality)


def _chunks(values: list[str], n: int) -> Iterable[list[str]]:
    for start in range(0, len(values), n):
        yield values[start : start + n]
