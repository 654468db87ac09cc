"""Where the database lives and how to open it: SQLite under RECLAIM_HOME, or RECLAIM_DATABASE_URL.

Opening runs the Alembic migrations to head, so every command and test sees the current schema.
"""

from __future__ import annotations

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

if TYPE_CHECKING:
    from sqlalchemy.engine.interfaces import DBAPIConnection


def reclaim_home() -> Path:
    """The data folder: RECLAIM_HOME, else the platform's user data dir."""
    home = os.environ.get("RECLAIM_HOME") or platformdirs.user_data_dir("reclaim", appauthor=False)
    return Path(home).expanduser()


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
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
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
