"""Where the caches derived from a database live: the one place that names them.

Every cache (the PDQ index, the keypoint descriptors, the face graph) sits in ``cache/`` beside a SQLite file,
or under RECLAIM_HOME for a server database. Its name carries the database's URL (password hidden) and when its
first bank was made, so a database deleted and made anew at the same URL (whose ids start over) never meets
an old cache. Every cache is derived: deleting the folder is always safe.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from reclaim.store.db import reclaim_home
from reclaim.store.models import Bank


def cache_folder(session: Session) -> Path:
    """``cache/`` beside a SQLite file, or under RECLAIM_HOME for any other database."""
    database = _sqlite_file(session)
    return (database.parent if database else reclaim_home()) / "cache"


def cache_file(session: Session, kind: str, suffix: str) -> Path:
    """``cache/<kind>-<database>-<instance><suffix>``: one file of each kind per database."""
    engine = session.get_bind()
    assert isinstance(engine, Engine)
    database = _sqlite_file(session)
    url = f"sqlite:///{database}" if database else engine.url.render_as_string(hide_password=True)
    first = session.execute(select(Bank.id, Bank.created_at).order_by(Bank.id).limit(1)).first()
    place = hashlib.sha256(url.encode()).hexdigest()[:16]
    instance = hashlib.sha256(repr(tuple(first or ())).encode()).hexdigest()[:8]
    return cache_folder(session) / f"{kind}-{place}-{instance}{suffix}"


def _sqlite_file(session: Session) -> Path | None:
    engine = session.get_bind()
    assert isinstance(engine, Engine)
    if engine.url.get_backend_name() == "sqlite" and engine.url.database not in (None, "", ":memory:"):
        return Path(str(engine.url.database)).resolve()
    return None
