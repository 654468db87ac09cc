"""Where the database lives and how to open it: SQLite under RECLAIM_HOME, or RECLAIM_DATABASE_URL.

Opening runs the Alembic migrations to head, so every command and test sees the current schema.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import platformdirs
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from reclaim.errors import ExternalError

log = logging.getLogger(__name__)
if TYPE_CHECKING:
    from sqlalchemy.engine.interfaces import DBAPIConnection


def reclaim_home() -> Path:
    """The data folder: RECLAIM_HOME, else the platform's user data dir."""
    home = os.environ.get("RECLAIM_HOME") or platformdirs.user_data_dir("reclaim", appauthor=False)
    return Path(home).expanduser()


def private_dir(folder: Path) -> Path:
    """``folder``, created mode 0700 with any missing parents: RECLAIM_HOME holds face descriptors, captions,
    case keys and the audit log. A folder that already exists is left as it is, with a warning if others can
    read it."""
    missing = []
    probe = folder
    while not probe.exists():
        missing.append(probe)
        probe = probe.parent
    for path in reversed(missing):
        path.mkdir(mode=0o700, exist_ok=True)
        os.chmod(path, 0o700)  # whatever the umask
    if not missing and folder == reclaim_home() and folder.stat().st_mode & 0o077:
        log.warning("%s can be read by other users (mode %o); Reclaim keeps evidence there: chmod 700 it",
                    folder, folder.stat().st_mode & 0o777)
    return folder


def private_file(path: Path) -> None:
    """Create ``path`` empty with mode 0600 if missing, or take away others' access to the one there."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        if path.stat().st_mode & 0o077 and path.stat().st_uid == os.getuid():
            os.chmod(path, 0o600)


def database_url() -> str:
    url = os.environ.get("RECLAIM_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{reclaim_home() / 'reclaim.db'}"


@dataclass
class Store:
    """An open, migrated database: the engine and a session factory."""

    engine: Engine
    sessions: sessionmaker[Session]

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session that commits on success and rolls back on error."""
        with self.sessions() as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_store(url: str | None = None, *, migrate: bool = True) -> Store:
    url = url or database_url()
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        database = Path(url.removeprefix("sqlite:///"))
        private_dir(database.parent)
        private_file(database)  # SQLite gives its -wal and -shm files the database's mode
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    try:
        if migrate:
            from reclaim.store.migrate import upgrade

            upgrade(engine)
    except OperationalError as exc:
        raise ExternalError(f"database {engine.url.render_as_string()}: {exc.orig}") from exc
    except SQLAlchemyError as exc:
        raise ExternalError(f"database {engine.url.render_as_string()}: {exc}") from exc
    return Store(engine, sessionmaker(engine, expire_on_commit=False))


def _sqlite_pragmas(dbapi_connection: DBAPIConnection, _record: object) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")  # readers never block the scan's writer
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()
