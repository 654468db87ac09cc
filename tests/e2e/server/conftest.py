"""An app over the test database (SQLite, and PostgreSQL when RECLAIM_TEST_POSTGRES_URL is set)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

pytest.importorskip("fastapi", reason="needs reclaim[server]")

from fastapi.testclient import TestClient  # noqa: E402

from reclaim.server import create_app  # noqa: E402


@pytest.fixture
def make_client(database_url: str) -> Iterator[Callable[[], TestClient]]:
    """Each call: a new app (a worker of its own) over the same database."""
    clients: list[TestClient] = []

    def make() -> TestClient:
        client = TestClient(create_app(database_url))
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client: Callable[[], TestClient]) -> TestClient:
    return make_client()
