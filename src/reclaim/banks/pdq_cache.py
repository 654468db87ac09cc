"""Every active PDQ hash of every bank in one ``PDQIndex``, kept on disk so a 10 M-hash bank opens in seconds.

How the cache stays right
    The cache file holds the index and, in the same file, the ids and banks of the rows it holds, the highest
    id and the latest withdrawal time it has seen. On open, rows added since (id above the highest) are added
    and rows withdrawn since are removed: two small indexed queries. Then one aggregate over the active rows
    (count, sum and maximum of their ids, computed by the database) must equal the same figures of the updated
    rows; anything else (a reinstated hash, a restored backup, rows deleted by hand) makes it compare every
    active id with the cache instead. So the cache never answers for a withdrawn hash, whoever changed the
    database and however, without a hook on every write path. A database made anew at the same URL gets a
    cache of its own (see ``cache_path``), as its ids start over.

The file is rewritten (atomically, by ``PDQIndex.save``) when the changes are many enough to be worth it;
fewer are applied in memory on each open. One index holds all banks: bank membership is filtered after the
search, so ``--bank`` and the per-bank thresholds cost nothing at build time.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from sqlalchemy import Connection, Engine, Select, bindparam, func, select
from sqlalchemy.orm import Session

from reclaim.index.pdq import hex_to_codes
from reclaim.index.pdq_mih import PDQIndex
from reclaim.models import BankEntry, BankKind
from reclaim.store.db import reclaim_home
from reclaim.store.models import Bank, BankContent, ContentSignal

SIGNAL = "pdq"
RESAVE_ROWS = 10_000  # rewrite the cache file once this many rows changed since it was written
FETCH_ROWS = 50_000  # ids per ``IN (...)`` when fetching hit details
NO_TIME = -1
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def cache_path(session: Session) -> Path:
    """One cache file per database, in ``cache/`` beside a SQLite file or under RECLAIM_HOME: named by the URL
    (password hidden) and by when the database's first bank was made, so a database deleted and made anew at
    the same URL (whose ids start over) never meets the old cache."""
    engine = session.get_bind()
    assert isinstance(engine, Engine)
    sqlite_file = engine.url.get_backend_name() == "sqlite" and engine.url.database not in (None, "", ":memory:")
    database = Path(str(engine.url.database)).resolve() if sqlite_file else None
    url = f"sqlite:///{database}" if database else engine.url.render_as_string(hide_password=True)
    first = session.execute(select(Bank.id, Bank.created_at).order_by(Bank.id).limit(1)).first()
    place = hashlib.sha256(url.encode()).hexdigest()[:16]
    instance = hashlib.sha256(repr(tuple(first or ())).encode()).hexdigest()[:8]
    folder = database.parent if database else reclaim_home()
    return folder / "cache" / f"pdq-{place}-{instance}.pdq"


def _active(columns: Select) -> Select:  # type: ignore[type-arg]
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


@dataclass
class Rows:
    """The rows an index holds: ids ascending, each one's bank; plus how far the database was read."""

    ids: np.ndarray  # int64
    bank_ids: np.ndarray  # int64
    max_id: int
    withdrawn_mark: int  # microseconds since the epoch of the latest withdrawal seen, or NO_TIME

    @classmethod
    def empty(cls) -> Rows:
        return cls(np.empty(0, np.int64), np.empty(0, np.int64), 0, NO_TIME)

    @classmethod
    def of(cls, extra: dict[str, np.ndarray]) -> Rows:
        ids, bank_ids, marks = extra["ids"], extra["bank_ids"], extra["marks"]
        if ids.shape != bank_ids.shape or marks.shape != (2,) or np.any(ids[1:] <= ids[:-1]):
            raise ValueError("PDQ cache rows are inconsistent")
        return cls(np.asarray(ids, np.int64), np.asarray(bank_ids, np.int64), int(marks[0]), int(marks[1]))

    def as_extra(self) -> dict[str, np.ndarray]:
        return {"ids": self.ids, "bank_ids": self.bank_ids,
                "marks": np.array([self.max_id, self.withdrawn_mark], np.int64)}

    def stamp(self) -> tuple[int, int, int]:
        return len(self.ids), int(self.ids.sum()), int(self.ids[-1]) if len(self.ids) else 0


def _database_stamp(session: Session) -> tuple[int, int, int]:
    """(count, sum, max) of the active PDQ ids, computed by the database in one pass."""
    count, total, top = session.execute(
        _active(select(func.count(), func.coalesce(func.sum(ContentSignal.id), 0), func.max(ContentSignal.id)))
    ).one()
    return int(count), int(total), int(top or 0)


def _load(path: Path) -> tuple[PDQIndex, Rows]:
    try:
        index = PDQIndex.load(path)
        return index, Rows.of(index.extra)
    except (OSError, ValueError, KeyError):
        return PDQIndex(), Rows.empty()  # absent, from an older format, or damaged: rebuilt from the database


def _add(index: PDQIndex, rows: Rows, found: list[tuple[int, int, str]]) -> tuple[Rows, int]:
    """Add the (id, bank id, hex) rows not held yet; a malformed stored hash is left out."""
    held = set(rows.ids[np.isin(rows.ids, [ref for ref, _, _ in found])].tolist())
    fresh = [(ref, bank, value) for ref, bank, value in found if ref not in held and _is_pdq_hex(value)]
    if not fresh:
        return rows, 0
    ids = np.array([ref for ref, _, _ in fresh], np.int64)
    index.add(ids, hex_to_codes([value for _, _, value in fresh]))
    all_ids = np.concatenate([rows.ids, ids])
    all_banks = np.concatenate([rows.bank_ids, np.array([bank for _, bank, _ in fresh], np.int64)])
    order = np.argsort(all_ids, kind="stable")
    return Rows(all_ids[order], all_banks[order], max(rows.max_id, int(ids.max())), rows.withdrawn_mark), len(ids)


def _remove(index: PDQIndex, rows: Rows, gone: np.ndarray) -> tuple[Rows, int]:
    held = np.isin(rows.ids, gone)
    if not held.any():
        return rows, 0
    index.remove(rows.ids[held])
    return Rows(rows.ids[~held], rows.bank_ids[~held], rows.max_id, rows.withdrawn_mark), int(held.sum())


def _is_pdq_hex(value: str) -> bool:
    try:
        return len(value) == 64 and len(bytes.fromhex(value)) == 32
    except ValueError:
        return False


def sync_index(session: Session, path: Path) -> tuple[PDQIndex, Rows]:
    """The cached index brought up to date with the database, and the rows it now holds."""
    index, rows = _load(path)
    last_withdrawal = session.scalar(select(func.max(BankContent.withdrawn_at)))
    rows, added = _add(index, rows, _added_since(session, rows.max_id))
    # from the (indexed) withdrawals to their signals, not the other way round over every signal
    withdrawn_since = select(ContentSignal.id).select_from(BankContent).join(
        ContentSignal, ContentSignal.content_pk == BankContent.id)
    if rows.withdrawn_mark != NO_TIME:
        mark = EPOCH + timedelta(microseconds=rows.withdrawn_mark)
        withdrawn_since = withdrawn_since.where(BankContent.withdrawn_at >= mark)
    else:
        withdrawn_since = withdrawn_since.where(BankContent.withdrawn_at.is_not(None))
    rows, removed = _remove(index, rows, np.array(session.scalars(withdrawn_since).all(), np.int64))
    rows.withdrawn_mark = max(rows.withdrawn_mark, _micros(last_withdrawal))
    if rows.stamp() != _database_stamp(session):
        rows, changed = _reconcile(session, index, rows)
        added += changed
    if added + removed >= RESAVE_ROWS or (not path.exists() and len(index)):
        _save(index, rows, path)
    return index, rows


def _added_since(session: Session, max_id: int) -> list[tuple[int, int, str]]:
    """(id, bank id, hex) of active PDQ rows above ``max_id``: read by id range first (a few rows, however big
    the bank), then their contents; one join would let the planner start from the millions of active contents."""
    fresh = session.execute(
        select(ContentSignal.id, ContentSignal.content_pk, ContentSignal.value)
        .where(ContentSignal.id > max_id, ContentSignal.signal.concat("") == SIGNAL)
    ).all()
    banks: dict[int, int] = {}
    pks = sorted({pk for _, pk, _ in fresh})
    for start in range(0, len(pks), FETCH_ROWS):
        chunk = pks[start : start + FETCH_ROWS]
        banks.update((pk, bank) for pk, bank in session.execute(
            select(BankContent.id, BankContent.bank_id)
            .where(BankContent.id.in_(chunk), BankContent.withdrawn_at.is_(None))))
    return [(ref, banks[pk], value) for ref, pk, value in fresh if pk in banks]


def _reconcile(session: Session, index: PDQIndex, rows: Rows) -> tuple[Rows, int]:
    """Compare every active id with the cache (slow: used only when the quick checks disagree)."""
    active = session.execute(_active(select(ContentSignal.id)).order_by(ContentSignal.id)).scalars().all()
    active_ids = np.array(active, np.int64)
    rows, removed = _remove(index, rows, np.setdiff1d(rows.ids, active_ids, assume_unique=True))
    missing = [int(i) for i in np.setdiff1d(active_ids, rows.ids, assume_unique=True)]
    found: list[tuple[int, int, str]] = []
    for start in range(0, len(missing), FETCH_ROWS):
        chunk = missing[start : start + FETCH_ROWS]
        query = select(ContentSignal.id, BankContent.bank_id, ContentSignal.value).join(
            BankContent, ContentSignal.content_pk == BankContent.id).where(ContentSignal.id.in_(chunk))
        found += [tuple(r) for r in session.execute(query)]  # type: ignore[misc]
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
        return cls(bank.name, BankKind(bank.kind), bank.pdq_threshold, bank.pdq_min_quality)


class PdqBanks:
    """The PDQ part of the banks for one command: search the shared index, keep hits in the chosen banks."""

    def __init__(self, session: Session, index: PDQIndex, active: Rows, banks: dict[int, BankRules]) -> None:
        engine = session.get_bind()
        assert isinstance(engine, Engine)
        self._session, self._engine, self._index, self._active, self._banks = session, engine, index, active, banks
        self._allowed = np.isin(active.bank_ids, np.fromiter(banks, np.int64, len(banks)))
        self._count = int(self._allowed.sum())  # counted once: every search asks, and it is 1 M booleans
        self._entries: dict[int, BankEntry | None] = {}
        self._detail = _DetailReader(engine)
        self.max_threshold = max((b.threshold for b in banks.values()), default=0)

    @classmethod
    def open(cls, session: Session, banks: Sequence[Bank], path: Path | None = None) -> PdqBanks:
        index, active = sync_index(session, path or cache_path(session))
        return cls(session, index, active, {b.id: BankRules.of(b) for b in banks})

    def __len__(self) -> int:
        return self._count

    def search(self, value: str) -> list[tuple[int, int, BankEntry]]:
        """(ref, distance, entry) for each active hash of a chosen bank within the widest threshold."""
        if not len(self):
            return []
        ids, dists = self._index.search(hex_to_codes([value]), radius=int(self.max_threshold))[0]
        if not len(ids):  # most lookups: nothing near
            return []
        at = np.minimum(np.searchsorted(self._active.ids, ids), len(self._active.ids) - 1)
        keep = (self._active.ids[at] == ids) & self._allowed[at]
        refs = [int(r) for r in ids[keep]]
        entries = self._entries_of(refs)
        return [(r, int(d), entries[r]) for r, d in zip(refs, dists[keep], strict=True) if entries[r] is not None]

    def _entries_of(self, refs: list[int]) -> dict[int, BankEntry | None]:
        """Each ref's bank entry, fetched once per command (None for a hash under its bank's quality floor).

        Fetched through the session that opened this while its transaction lasts (so it sees what that
        transaction added), else through a short session of its own.
        """
        missing = [r for r in refs if r not in self._entries]
        if missing:
            if self._session.in_transaction():
                rows = _details(self._session, missing)
            elif len(missing) == 1:  # a server's lookup hit
                rows = self._detail.read(missing[0])
            else:
                with self._engine.connect() as connection:  # a bare connection: a fifth of a Session's cost
                    rows = _details(connection, missing)
            for ref, version, value, quality, content_id, bank_id in rows:
                bank = self._banks[bank_id]
                entry = BankEntry(bank.name, bank.kind, content_id, SIGNAL, version, value,
                                  float(bank.threshold), bank.min_quality)
                self._entries[ref] = None if quality is not None and quality < bank.min_quality else entry
            for ref in missing:
                self._entries.setdefault(ref, None)
        return {r: self._entries[r] for r in refs}


# Built once: building and keying the statement took longer than running it (a server reads one hit at a time).
_DETAIL_COLUMNS = select(
    ContentSignal.id, ContentSignal.version, ContentSignal.value, ContentSignal.quality, BankContent.content_id,
    BankContent.bank_id,
).join(BankContent, ContentSignal.content_pk == BankContent.id)
_DETAILS = _DETAIL_COLUMNS.where(ContentSignal.id.in_(bindparam("refs", expanding=True)))


Detail = tuple[int, str, str, int | None, str, int]  # ref, version, value, quality, content id, bank id


def _details(session: Session | Connection, refs: list[int]) -> list[Detail]:
    return [tuple(row) for row in session.execute(_DETAILS, {"refs": refs})]  # type: ignore[misc]


class _DetailReader:
    """One ref's details through the database driver: SQLAlchemy's execution of the statement cost three times
    the query itself (70 µs against 23 on SQLite), and a server reads one hit per lookup."""

    def __init__(self, engine: Engine) -> None:
        compiled = _DETAIL_COLUMNS.where(ContentSignal.id == bindparam("ref")).compile(dialect=engine.dialect)
        self._engine = engine
        self._sql, self._positional = str(compiled), compiled.positional

    def read(self, ref: int) -> list[Detail]:
        raw = self._engine.raw_connection()  # from the pool; returned (and rolled back) on close
        try:
            cursor = raw.cursor()
            cursor.execute(self._sql, (ref,) if self._positional else {"ref": ref})
            rows = cursor.fetchall()
            cursor.close()
        finally:
            raw.close()
        return [tuple(row) for row in rows]  # type: ignore[misc]
