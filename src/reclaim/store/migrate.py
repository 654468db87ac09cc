"""Run Alembic programmatically against an engine (no alembic.ini needed at run time).

Every command that opens the database asks for ``upgrade``; a database already at ``HEAD`` is told so by one
query, without importing Alembic and having it read every migration script (~0.4 s of a command's start-up:
`reclaim case review` took 1.8-2.0 s with them, 1.4-1.5 s without).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, inspect, text

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")
HEAD = "0170_hma_ids"  # the newest revision under migrations/versions (tests/unit/store/test_migrations.py)


def alembic_config(engine: Engine) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at; None for a database Alembic never touched."""
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def upgrade(engine: Engine, revision: str = "head") -> None:
    if revision == "head" and current_revision(engine) == HEAD:
        return
    from alembic import command

    command.upgrade(alembic_config(engine), revision)
