"""Scan a source into a case: hash every item on all cores, store as we go, match as we store.

Streamed: the source's items are read in batches of ``BATCH_ITEMS``, and only a batch plus the files in
flight to the hashing workers are held at once, so a 200,000-message export scans in bounded memory.
Resumable by construction: results are committed a batch at a time, and a file already stored for the
case with the same size and modification time is not hashed again. Killing a scan loses at most the
uncommitted batch; running the same command again finishes the job with the same final results.
Every item of the target is matched again, the unchanged ones from their stored hashes, so a rerun also
picks up bank changes (new hashes, withdrawals) without rehashing anything.
"""

from __future__ import annotations

import copy
import itertools
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from reclaim.engines import Engine
from reclaim.hashing import HashFailure, HashOutcome, Target, hash_bytes, hash_files
from reclaim.identities import FaceMatch, FaceMatcher, current_actor, face_opt_in
from reclaim.identities.matcher import items_missing_faces
from reclaim.matching.keypoints import Mode, items_missing_keypoints, keypoint_opt_in
from reclaim.matching.matcher import Matcher
from reclaim.media import Limits
from reclaim.models import Match, MediaItem, Skipped
from reclaim.scan.finish import finish_scan
from reclaim.scan.rows import (
    Found,
    match_rows,
    rows_for,
    stamp,
    stored,
    unchanged,
    write_hashed,
    write_missing,
    write_skipped,
)
from reclaim.sources import FolderSource, Source
from reclaim.store import Store
from reclaim.store.models import Case, Scan, utcnow
from reclaim.takedown.reuploads import ReuploadReport

Progress = Callable[[int, int | None], None]  # (items done, items in all; None until the source is read)
BATCH_ITEMS = 256
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
    reuploads: dict[str, ReuploadReport] = field(default_factory=dict)  # confirmed material of cases, found again


def scan_folder(
    store: Store,
    case_name: str,
    target: Path,
    *,
    workers: int | None = None,
    limits: Limits = Limits(),
    on_progress: Progress | None = None,
    actor: str | None = None,
    mode: Mode = Mode.FAST,
    case_home: Path | None = None,
) -> ScanReport:
    source = FolderSource(str(target), limits=limits)
    return scan_source(store, case_name, source, workers=workers, limits=limits, on_progress=on_progress,
                       actor=actor, mode=mode, case_home=case_home)


def scan_source(
    store: Store,
    case_name: str,
    source: Source,
    *,
    workers: int | None = None,
    limits: Limits = Limits(),
    on_progress: Progress | None = None,
    actor: str | None = None,
    mode: Mode = Mode.FAST,
    engine: Engine[Any, Any] | None = None,
    custody: bool = True,
    case_home: Path | None = None,
) -> ScanReport:
    """Scan any source (see the module docstring). Faces are looked for only when identities are enrolled;
    ``actor`` (default: current_actor()) is who the face audit log names. ``mode`` thorough stores keypoint
    sets for every item, so the keypoint stage can find crops, screenshots and collages. ``engine`` says
    where files are hashed (default: ``workers`` local processes); results are written here, by the driver.
    ``custody=False`` is for a caller that writes richer custody entries of its own (a live Telegram capture);
    ``case_home`` is where the case's files (custody log, key) live, if not under RECLAIM_HOME."""
    with store.session() as session:
        opt_in = face_opt_in(session)
        keypoints = keypoint_opt_in(session, mode)
        case = _case(session, case_name)
        scan = Scan(case_id=case.id, target=source.target)
        session.add(scan)
        session.flush()
        run = _Run(store, ScanReport(case_name, source.target, scan.id), case.id, limits, opt_in | keypoints,
                   on_progress,
                   matcher=Matcher.from_store(session),
                   faces=FaceMatcher.from_store(session, actor or current_actor()) if opt_in else None,
                   stale=(items_missing_faces(session, case.id) if opt_in else set())
                   | items_missing_keypoints(session, case.id, keypoints))
    for outcome in hash_files(run.paths(source.iter_items()), workers=workers, limits=limits, opt_in=run.opt_in,
                              bytes_only=run.bytes_only, engine=engine):
        run.hashed(outcome)
    run.flush()
    if on_progress:
        on_progress(run.done, run.done)
    with store.session() as session:
        session.get_one(Scan, run.report.scan_id).finished_at = utcnow()
    with store.session() as session:  # every stored item gets its custody entry, also after a resume
        run.report.reuploads = finish_scan(session, case_name, run.report.matches, actor or current_actor(),
                                           custody=custody, home=case_home)
    run.report.failed.sort(key=lambda s: s.locator)
    return run.report


class _Run:
    """One scan in progress: files waiting for their hashes, and hashed items waiting to be committed."""

    def __init__(self, store: Store, report: ScanReport, case_id: int, limits: Limits, opt_in: frozenset[str],
                 on_progress: Progress | None, *, matcher: Matcher, faces: FaceMatcher | None, stale: set[str]
                 ) -> None:
        self.store, self.report, self.case_id, self.limits, self.opt_in = store, report, case_id, limits, opt_in
        self.on_progress, self.matcher, self.faces, self.stale = on_progress, matcher, faces, stale
        self.waiting: dict[Target, list[MediaItem]] = {}  # files handed to the workers, and the items showing them
        self.bytes_only: set[Target] = set()  # of those, the files to hash without decoding (audio, documents)
        # hashed, not yet committed: the item (without its bytes), its hashes, and the (size, mtime) to store
        self.pending: list[tuple[MediaItem, HashOutcome, tuple[int | None, int | None]]] = []
        self.last_commit, self.done = time.monotonic(), 0

    def paths(self, found: Iterable[MediaItem | Skipped]) -> Iterator[Target]:
        """Settle each batch of the source's items, and yield the files (or stored objects) that need hashing."""
        iterator = iter(found)
        while batch := list(itertools.islice(iterator, BATCH_ITEMS)):
            for item in self._settle(batch):
                path = item.path or item.remote
                assert path is not None  # _settle returns only items with a file or an object
                if item.bytes_only:
                    self.bytes_only.add(path)
                if path not in self.waiting:
                    self.waiting[path] = [item]
                    yield path
                else:
                    self.waiting[path].append(item)

    def _settle(self, batch: list[MediaItem | Skipped]) -> list[MediaItem]:
        """Record what needs no hashing (skipped, missing, unchanged, in-memory bytes); return the rest."""
        report, todo, blobs, settled = self.report, [], [], []
        report.items += len(batch)
        with self.store.session() as session:
            before = stored(session, self.case_id, [e.locator for e in batch])
            for entry in batch:
                if isinstance(entry, Skipped) or (entry.path is None and entry.data is None and entry.remote is None):
                    settled.append(entry)
                elif entry.path is None and entry.remote is None:
                    blobs.append(entry)
                elif unchanged(entry, before.get(entry.locator)) and entry.locator not in self.stale:
                    settled.append(entry)
                    report.reused += 1
                    self.done += 1
                    failure = before[entry.locator].failure
                    report.failed += [failure] if failure else []
                else:
                    todo.append(entry)
            with session.no_autoflush:  # new rows get their status below
                rows = rows_for(session, self.case_id, report.scan_id, [e.locator for e in settled])
                for entry in settled:
                    if isinstance(entry, Skipped):
                        write_skipped(rows[entry.locator], entry)
                        report.failed.append(entry)
                    elif entry.path is None and entry.remote is None:
                        write_missing(rows[entry.locator], entry)
                        report.missing_media += 1
            self._found(match_rows(session, list(rows.values()), self.matcher, self.faces))
        for blob in blobs:  # bytes a source already holds (a download): hashed here, never written to disk
            outcome = hash_bytes(blob.data or b"", Path(blob.locator), self.limits, opt_in=self.opt_in,
                                 bytes_only=blob.bytes_only)
            self._add(replace(blob, data=None), outcome, stamp(blob))
        self._progress(None)
        return todo

    def hashed(self, outcome: HashOutcome) -> None:
        self.bytes_only.discard(outcome.path)
        for item in self.waiting.pop(outcome.path):
            self._add(item, outcome, stamp(item))
        self._progress(None)

    def _add(self, item: MediaItem, outcome: HashOutcome, size_mtime: tuple[int | None, int | None]) -> None:
        outcome = _named_by_locator(item, outcome)
        self.pending.append((item, outcome, size_mtime))
        self.report.hashed += 1
        self.done += 1
        if isinstance(outcome, HashFailure):
            self.report.failed.append(Skipped(item.locator, outcome.error.message, outcome.error.code))
        if len(self.pending) >= COMMIT_EVERY_ITEMS or time.monotonic() - self.last_commit > COMMIT_EVERY_SECONDS:
            self.flush()

    def flush(self) -> None:
        """Commit the hashed items and their matches together."""
        if self.pending:
            with self.store.session() as session, session.no_autoflush:  # new rows get their status below
                rows = rows_for(session, self.case_id, self.report.scan_id, [i.locator for i, _, _ in self.pending])
                for item, outcome, size_mtime in self.pending:
                    write_hashed(rows[item.locator], item, outcome, size_mtime)
                self._found(match_rows(session, list(rows.values()), self.matcher, self.faces))
        self.pending, self.last_commit = [], time.monotonic()

    def _found(self, found: Found) -> None:
        self.report.matches.update(found.matches)
        self.report.face_matches.update(found.faces)

    def _progress(self, total: int | None) -> None:
        if self.on_progress:
            self.on_progress(self.done, total)


def _case(session: Session, name: str) -> Case:
    case = session.scalar(select(Case).where(Case.name == name))
    if case is None:
        case = Case(name=name)
        session.add(case)
        session.flush()
    return case


def _named_by_locator(item: MediaItem, outcome: HashOutcome) -> HashOutcome:
    """A failure names the item as the source does (an archive member, a chat message), not the private copy
    the workers read (a spool path means nothing to a reviewer and says where our temp files are)."""
    if not isinstance(outcome, HashFailure) or item.path is None or str(item.path) == item.locator:
        return outcome
    error = copy.copy(outcome.error)
    error.args = (error.message.replace(str(item.path), item.locator),)
    return replace(outcome, error=error)
