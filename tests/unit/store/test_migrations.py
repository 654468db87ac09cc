"""Alembic migrations run on SQLite and PostgreSQL: up from empty, down to nothing, and up again."""

import pytest
from alembic import command
from sqlalchemy import create_engine, inspect

from reclaim.store import open_store
from reclaim.store.migrate import HEAD, alembic_config, current_revision
from reclaim.store.models import Base

pytestmark = pytest.mark.fresh_home  # up from an empty database, not the tests' migrated copy


def tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade(database_url: str) -> None:
    with open_store(database_url) as store:
        assert tables(database_url) == set(Base.metadata.tables)
        command.downgrade(alembic_config(store.engine), "base")
    assert tables(database_url) == set()
    with open_store(database_url):
        assert tables(database_url) == set(Base.metadata.tables)


def test_models_and_migrations_agree(database_url: str) -> None:
    """Autogenerate finds nothing to do: the ORM models and the migration scripts describe one schema."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with open_store(database_url) as store, store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_head_names_the_newest_migration(database_url: str) -> None:
    """``HEAD`` lets a migrated database skip Alembic's import; it must be the scripts' one head."""
    from alembic.script import ScriptDirectory

    with open_store(database_url) as store:
        assert ScriptDirectory.from_config(alembic_config(store.engine)).get_heads() == [HEAD]
        assert current_revision(store.engine) == HEAD


def test_a_database_one_revision_behind_is_upgraded_when_opened(database_url: str) -> None:
    with open_store(database_url) as store:
        command.downgrade(alembic_config(store.engine), "-1")
        assert current_revision(store.engine) not in (None, HEAD)
    with open_store(database_url) as store:
        assert current_revision(store.engine) == HEAD
        assert tables(database_url) == set(Base.metadata.tables)
