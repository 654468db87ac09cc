"""Persistence: SQLAlchemy models, Alembic migrations, and opening the database."""

from reclaim.store.db import Store, database_url, open_store, reclaim_home

__all__ = ["Store", "database_url", "open_store", "reclaim_home"]
