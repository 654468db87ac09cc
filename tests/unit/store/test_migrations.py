"""Alembic migrations run on SQLite and PostgreSQL: up from empty, down to nothing, and up again."""

import pytest
from alembic import command
from sqlalchemy import create_engine, inspect

from reclaim.store import open_store
from reclaim.store.migrate import alembic_config
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
