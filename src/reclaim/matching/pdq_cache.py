"""Every active PDQ hash of every bank in one ``PDQIndex``, kept on disk so a 10 M-hash bank opens in seconds.

How the cache stays right
    The cache file holds the index and, in the same file, the ids of the rows it holds with what a match
    reports of each (bank, content id and content row id, version, quality), the highest id and the latest
    withdrawal time it has seen. On open, rows added since (id above the highest) are added
    and rows withdrawn since are removed: two small indexed queries. Then one aggregate over the active rows
    (count, sum and maximum of their ids, computed by the database) must equal the same figures of the updated
    rows; anything else (a reinstated hash, a restored backup, rows deleted by hand) makes it compare every
    active id with the cache instead. So the cache never answers for a withdrawn hash, whoever changed the
    database and however, without a hook on every write path. A database made anew at the same URL gets a
    cache of its own (see ``cache_path``), as its ids start over.

The file is rewritten (atomically, by ``PDQIndex.save``) when the changes are many enough to be worth it;
fewer are applied in memory on each open. One index holds all banks: bank membership is filtered after the
search, so ``--bank`` and the per-bank thresholds cost nothing at build time. A hit needs no database read:
banked rows never change after they are written (only their withdrawal does), so the cache's copy of their
details stays true.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from reclaim.index.pdq import hex_to_codes
from reclaim.index.pdq_mih import PDQIndex
from reclaim.matching.text_column import TextColumn
from reclaim.models import BankEntry, BankKind
from reclaim.signals import get_signal
from reclaim.store.caches import cache_file
from reclaim.store.models import Bank, BankContent, ContentSignal

SIGNAL = "pdq"
RESAVE_ROWS = 10_000  # rewrite the cache file once this many rows changed since it was written
FETCH_ROWS = 50_000  # ids per ``IN (...)``
NO_TIME = -1
NO_QUALITY = -1
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def cache_path(session: Session) -> Path:
    """This database's PDQ index file (``store.caches``)."""
    return cache_file(session, "pdq", ".pdq")


_Query = TypeVar("_Query", bound="Select[*tuple[Any, ...]]")


def _active(columns: _Query) -> _Query:
    """``columns`` over the active PDQ rows. ``signal || ''`` keeps SQLite from walking the (signal, value)
    index row by row, which is ~10x slower than scanning the table for the ~all rows that are PDQ."""
    return (
        columns.join(BankContent, ContentSignal.content_pk == BankContent.id)
        .where(ContentSignal.signal.concat("") == SIGNAL, BankContent.withdrawn_at.is_(None))
    )


def _micros(when: datetime | None) -> int:
    if when is None:
        return NO_TIME
    return ((when if when.tzinfo else when.replace(tzinfo=UTC)) - EPOCH) // timedelta(microseconds=1)


Found = tuple[int, int, str, str, int | None, str, int]  # id, bank id, hex, version, quality, content id, its row
_FOUND_COLUMNS = (ContentSignal.id, BankContent.bank_id, ContentSignal.value, ContentSignal.version,
                  ContentSignal.quality, BankContent.content_id, BankContent.id)


@dataclass
class Rows:
    """The rows an index holds, ids ascending, with what a match reports of each; plus how far the database
    was read. Versions are few (one per PDQ release), so each row keeps the index of its own in ``versions``."""

    ids: np.ndarray  # int64
    bank_ids: np.ndarray  # int64
    qualities: np.ndarray  # int16, NO_QUALITY where the hash has none
    version_of: np.ndarray  # uint8, an index into ``versions``
    versions: TextColumn
    content_ids: TextColumn
    content_pks: np.ndarray  # int64: the bank_content row of each (HMA's integer content id)
    max_id: int
    withdrawn_mark: int  # microseconds since the epoch of the latest withdrawal seen, or NO_TIME

    @classmethod
    def empty(cls) -> Rows:
        return cls.of_found([], TextColumn.of([]))

    @classmethod
    def of_found(cls, found: Sequence[Found], versions: TextColumn) -> Rows:
        """Rows of ``found`` (ids ascending), their versions numbered after those of ``versions``."""
        ids, bank_ids, _, row_versions, qualities, content_ids, pks = zip(*found, strict=True) if found else ((),) * 7
        number = {versions[i]: i for i in range(len(versions))}
        for version in dict.fromkeys(row_versions):
            number.setdefault(version, len(number))
        if len(number) > 256:
            raise ValueError("more than 256 PDQ versions in the banks")
        return cls(
            np.array(ids, np.int64), np.array(bank_ids, np.int64),
            np.array([NO_QUALITY if q is None else q for q in qualities], np.int16),
            np.array([number[v] for v in row_versions], np.uint8), TextColumn.of(list(number)),
            TextColumn.of(content_ids), np.array(pks, np.int64), max(ids, default=0), NO_TIME,
        )  # fmt: skip

    @classmethod
    def of(cls, extra: dict[str, np.ndarray]) -> Rows:
        ids, marks = extra["ids"], extra["marks"]
        if marks.shape != (2,):
            raise ValueError("PDQ cache marks are damaged")
        rows = cls(np.asarray(ids, np.int64), np.asarray(extra["bank_ids"], np.int64), extra["qualities"],
                   extra["version_of"], TextColumn.restore(extra["versions.data"], extra["versions.ends"]),
                   TextColumn.restore(extra["content_ids.data"], extra["content_ids.ends"]),
                   np.asarray(extra["content_pks"], np.int64), int(marks[0]), int(marks[1]))  # fmt: skip
        aligned = {len(rows.bank_ids), len(rows.qualities), len(rows.version_of), len(rows.content_ids),
                   len(rows.content_pks)}
        if aligned != {len(ids)} or np.any(ids[1:] <= ids[:-1]):
            raise ValueError("PDQ cache rows are inconsistent")
        if rows.qualities.dtype != np.int16 or rows.version_of.dtype != np.uint8:
            raise ValueError("PDQ cache rows have the wrong types")
        if len(ids) and int(rows.version_of.max()) >= len(rows.versions):
            raise ValueError("PDQ cache rows name a version it does not hold")
        return rows

    def as_extra(self) -> dict[str, np.ndarray]:
        return {"ids": self.ids, "bank_ids": self.bank_ids, "qualities": self.qualities,
                "version_of": self.version_of, "versions.data": self.versions.data,
                "versions.ends": self.versions.ends, "content_ids.data": self.content_ids.data,
                "content_ids.ends": self.content_ids.ends, "content_pks": self.content_pks,
                "marks": np.array([self.max_id, self.withdrawn_mark], np.int64)}  # fmt: skip

    def take(self, at: np.ndarray) -> Rows:
        """The rows at positions ``at``, in that order; the same versions and marks."""
        return Rows(self.ids[at], self.bank_ids[at], self.qualities[at], self.version_of[at], self.versions,
                    self.content_ids.take(at), self.content_pks[at], self.max_id, self.withdrawn_mark)

    def plus(self, fresh: Sequence[Found]) -> Rows:
        """These rows and ``fresh`` (ids not held here), ids ascending."""
        new = Rows.of_found(sorted(fresh), self.versions)
        joined = Rows(np.concatenate([self.ids, new.ids]), np.concatenate([self.bank_ids, new.bank_ids]),
                      np.concatenate([self.qualities, new.qualities]),
                      np.concatenate([self.version_of, new.version_of]), new.versions,
                      self.content_ids.plus(new.content_ids), np.concatenate([self.content_pks, new.content_pks]),
                      max(self.max_id, new.max_id),
                      self.withdrawn_mark)  # fmt: skip
        if len(self.ids) and len(new.ids) and new.ids[0] < self.ids[-1]:  # reconciling: ids below the highest
            joined = joined.take(np.argsort(joined.ids, kind="stable"))
        return joined

    def stamp(self) -> tuple[int, int, int]:
        return len(self.ids), int(self.ids.sum()), int(self.ids[-1]) if len(self.ids) else 0


def in_step(session: Session, rows: Rows) -> bool:
    """Whether ``rows`` are exactly the active PDQ rows, by (count, sum, max) of the active ids, which the
    database computes in one pass (0.44 s at 1 M hashes on SQLite: the slow part of an open)."""
    count, total, top = session.execute(
        _active(select(func.count(), func.coalesce(func.sum(ContentSignal.id), 0), func.max(ContentSignal.id)))
    ).one()
    return rows.stamp() == (int(count), int(total), int(top or 0))


def _load(path: Path) -> tuple[PDQIndex, Rows]:
    try:
        index = PDQIndex.load(path)
        return index, Rows.of(index.extra)
    except (OSError, ValueError, KeyError):
        return PDQIndex(), Rows.empty()  # absent, from an older format, or damaged: rebuilt from the database


def _add(index: PDQIndex, rows: Rows, found: list[Found]) -> tuple[Rows, int]:
    """Add the rows of ``found`` not held yet; a malformed stored hash is left out."""
    held = set(rows.ids[np.isin(rows.ids, [f[0] for f in found])].tolist())
    fresh = [f for f in found if f[0] not in held and _is_pdq_hex(f[2])]
    if not fresh:
        return rows, 0
    index.add(np.array([f[0] for f in fresh], np.int64), hex_to_codes([f[2] for f in fresh]))
    return rows.plus(fresh), len(fresh)


def _remove(index: PDQIndex, rows: Rows, gone: np.ndarray) -> tuple[Rows, int]:
    held = np.isin(rows.ids, gone)
    if not held.any():
        return rows, 0
    index.remove(rows.ids[held])
    return rows.take(np.flatnonzero(~held)), int(held.sum())


def _is_pdq_hex(value: str) -> bool:
    try:
        return len(value) == 64 and len(bytes.fromhex(value)) == 32
    except ValueError:
        return False


def sync_index(session: Session, path: Path, *, verify: bool = True) -> tuple[PDQIndex, Rows]:
    """The cached index brought up to date with the database, and the rows it now holds.

    Without ``verify`` only the quick diff runs (adds, and withdrawals through their index), not the aggregate
    that catches everything else: for a caller that checks ``in_step`` itself once the result is in use.
    """
    index, rows = _load(path)
    last_withdrawal = session.scalar(select(func.max(BankContent.withdrawn_at)))
    rows, added = _add(index, rows, _added_since(session, rows.max_id))
    # from the (indexed) withdrawals to their signals, not the other way round over every signal: as a
    # subquery, because SQLite plans the same join the other way round (80 ms at 1 M rows instead of 0.1)
    withdrawn = select(BankContent.id).where(
        BankContent.withdrawn_at >= EPOCH + timedelta(microseconds=rows.withdrawn_mark)
        if rows.withdrawn_mark != NO_TIME else BankContent.withdrawn_at.is_not(None))
    withdrawn_since = select(ContentSignal.id).where(ContentSignal.content_pk.in_(withdrawn))
    rows, removed = _remove(index, rows, np.array(session.scalars(withdrawn_since).all(), np.int64))
    rows.withdrawn_mark = max(rows.withdrawn_mark, _micros(last_withdrawal))
    if verify and not in_step(session, rows):
        rows, changed = _reconcile(session, index, rows)
        added += changed
    if added + removed >= RESAVE_ROWS or (not path.exists() and len(index)):
        _save(index, rows, path)
    return index, rows


def _plain(result: Iterable[Found]) -> list[Found]:
    """Plain tuples (rows hold a reference to their result's metadata, and compare more slowly)."""
    return [(i, bank, value, version, quality, cid, pk) for i, bank, value, version, quality, cid, pk in result]


def _added_since(session: Session, max_id: int) -> list[Found]:
    """The active PDQ rows above ``max_id``: read by id range first (a few rows, however big the bank), then
    their contents; one join would let the planner start from the millions of active contents. A first build
    (nothing read yet) wants all of them: then the one join is the fast way (3.2 s against 6.6 at 1 M)."""
    if max_id == 0:
        return _plain(session.execute(_active(select(*_FOUND_COLUMNS))))
    fresh = session.execute(
        select(ContentSignal.id, ContentSignal.content_pk, ContentSignal.value, ContentSignal.version,
               ContentSignal.quality)
        .where(ContentSignal.id > max_id, ContentSignal.signal.concat("") == SIGNAL)
    ).all()
    contents: dict[int, tuple[int, str]] = {}
    pks = sorted({row.content_pk for row in fresh})
    for start in range(0, len(pks), FETCH_ROWS):
        chunk = pks[start : start + FETCH_ROWS]
        contents.update((pk, (bank, content_id)) for pk, bank, content_id in session.execute(
            select(BankContent.id, BankContent.bank_id, BankContent.content_id)
            .where(BankContent.id.in_(chunk), BankContent.withdrawn_at.is_(None))))
    return [(ref, contents[pk][0], value, version, quality, contents[pk][1], pk)
            for ref, pk, value, version, quality in fresh if pk in contents]


def _reconcile(session: Session, index: PDQIndex, rows: Rows) -> tuple[Rows, int]:
    """Compare every active id with the cache (slow: used only when the quick checks disagree)."""
    active = session.execute(_active(select(ContentSignal.id)).order_by(ContentSignal.id)).scalars().all()
    active_ids = np.array(active, np.int64)
    rows, removed = _remove(index, rows, np.setdiff1d(rows.ids, active_ids, assume_unique=True))
    missing = [int(i) for i in np.setdiff1d(active_ids, rows.ids, assume_unique=True)]
    found: list[Found] = []
    for start in range(0, len(missing), FETCH_ROWS):
        chunk = missing[start : start + FETCH_ROWS]
        query = select(*_FOUND_COLUMNS).join(
            BankContent, ContentSignal.content_pk == BankContent.id).where(ContentSignal.id.in_(chunk))
        found += _plain(session.execute(query))
    rows, added = _add(index, rows, found)
    return rows, removed + added


def _save(index: PDQIndex, rows: Rows, path: Path) -> None:
    """Write the cache and drop older caches of the same URL (those of a database since replaced)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    index.save(path, extra=rows.as_extra())
    place = path.name.rsplit("-", 1)[0]
    for old in path.parent.glob(f"{place}-*.pdq"):
        if old != path:
            old.unlink(missing_ok=True)


@dataclass(frozen=True)
class BankRules:
    """What a hit needs of its bank, copied out of the session that read it."""

    name: str
    kind: BankKind
    threshold: int
    min_quality: int

    @classmethod
    def of(cls, bank: Bank) -> BankRules:
        kind = BankKind(bank.kind)
        threshold = int(kind.threshold(bank.pdq_threshold, get_signal("pdq").default_threshold))
        return cls(bank.name, kind, threshold, bank.pdq_min_quality)


class PdqBanks:
    """The PDQ part of the banks for one command: search the shared index, keep hits in the chosen banks."""

    def __init__(self, index: PDQIndex, active: Rows, banks: dict[int, BankRules]) -> None:
        self._index, self._active, self._banks = index, active, banks
        self._allowed = np.isin(active.bank_ids, np.fromiter(banks, np.int64, len(banks)))
        self._count = int(self._allowed.sum())  # counted once: every search asks, and it is 1 M booleans
        self.max_threshold = max((b.threshold for b in banks.values()), default=0)
        # the content rows of the last search's hits, which a server asks for next (``content_pk``): a second binary
        # search of the ids cost a hit as much as building its entry. A ref's row never changes, so a stale or
        # partly replaced dict (another thread searching) can only miss, never answer wrong
        self._recent: dict[int, int] = {}

    @classmethod
    def open(cls, session: Session, banks: Sequence[Bank], path: Path | None = None, *,
             verify: bool = True) -> PdqBanks:
        """The banks' PDQ part, brought up to date by ``sync_index`` (``verify`` as there)."""
        index, active = sync_index(session, path or cache_path(session), verify=verify)
        return cls(index, active, {b.id: BankRules.of(b) for b in banks})

    def in_step(self, session: Session) -> bool:
        """Whether this holds exactly the database's active PDQ rows (see ``in_step``)."""
        return in_step(session, self._active)

    def __len__(self) -> int:
        return self._count

    def content_pk(self, ref: int) -> int | None:
        """The bank_content row of the held row ``ref`` (a hit's), or None when it is not held."""
        if (recent := self._recent.get(ref)) is not None:
            return recent
        ids = self._active.ids
        at = int(np.searchsorted(ids, ref))
        return int(self._active.content_pks[at]) if at < len(ids) and ids[at] == ref else None

    def search(self, value: str) -> list[tuple[int, int, BankEntry]]:
        """(ref, distance, entry) for each active hash of a chosen bank within the widest threshold, leaving
        out hashes under their bank's quality floor."""
        if not len(self):
            return []
        ids, dists = self._index.search_code(bytes.fromhex(value), radius=int(self.max_threshold))
        if not len(ids):  # most lookups: nothing near
            return []
        # A lookup has a hit or two: plain Python per hit, after one vector search for their rows, costs a hit a
        # third of what a chain of numpy filters over the hits did (each call ~1 us whatever its size)
        active, found, recent = self._active, [], {}
        held = len(active.ids)
        for ref, distance, row in zip(ids.tolist(), dists.tolist(), active.ids.searchsorted(ids).tolist(),
                                      strict=True):
            if row == held or active.ids[row] != ref or not self._allowed[row]:
                continue
            recent[ref] = int(active.content_pks[row])
            bank, quality = self._banks[int(active.bank_ids[row])], int(active.qualities[row])
            if quality != NO_QUALITY and quality < bank.min_quality:
                continue
            entry = BankEntry(bank.name, bank.kind, active.content_ids[row], SIGNAL,
                              active.versions[int(active.version_of[row])], self._index.code_of(ref).tobytes().hex(),
                              float(bank.threshold), bank.min_quality)
            found.append((ref, distance, entry))
        self._recent = recent
        return found
