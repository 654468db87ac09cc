"""Server fixtures for tests/e2e/server and tests/e2e/web: apps over the test database (SQLite, and
PostgreSQL when RECLAIM_TEST_POSTGRES_URL is set), API keys, users, and signed-in browsers.

``make_client`` clients carry a platform's API key with every scope unless ``key=False``; ``accounts`` makes
keys and users and signs a client in through the login form. Imports are lazy: without reclaim[server]
only the tests that use these fixtures are skipped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

PASSWORD = "correct horse battery"


class Accounts:
    password = PASSWORD

    @staticmethod
    def new_key(client: TestClient, name: str, scopes: list[str]) -> str:
        from reclaim.accounts import create_api_key

        with client.app.state.store.session() as session:
            return create_api_key(session, name, scopes, created_by="tests")

    @staticmethod
    def new_user(client: TestClient, name: str, role: str, case: str | None = None) -> None:
        from reclaim.accounts import add_user

        with client.app.state.store.session() as session:
            add_user(session, name, PASSWORD, role, case=case)

    @staticmethod
    def form_token(page: str) -> str:
        return page.split('name="csrf_token" value="')[1].split('"')[0]

    def sign_in(self, client: TestClient, name: str, password: str = PASSWORD) -> str:
        """Sign ``client`` in through the login form; returns the session's CSRF token."""
        token = self.form_token(client.get("/login").text)
        answer = client.post("/login", data={"username": name, "password": password, "csrf_token": token},
                             follow_redirects=False)
        assert answer.status_code == 303, answer.text
        return client.get("/session").json()["csrf_token"]


@pytest.fixture
def accounts() -> Accounts:
    return Accounts()


@pytest.fixture
def make_client(database_url: str) -> Iterator[Callable[..., TestClient]]:
    """Each call: a new app (a worker of its own) over the same database."""
    pytest.importorskip("fastapi", reason="needs reclaim[server]")
    from fastapi.testclient import TestClient

    from reclaim.server import create_app

    clients: list[TestClient] = []

    def make(*, key: bool = True, **settings: float) -> TestClient:
        client = TestClient(create_app(database_url, **settings))  # type: ignore[arg-type]
        client.__enter__()
        clients.append(client)
        if key:
            client.headers["Authorization"] = "Bearer " + Accounts.new_key(
                client, f"test-key-{len(clients)}", ["lookup", "bank:write"])
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client: Callable[..., TestClient]) -> TestClient:
    return make_client()


@pytest.fixture
def anonymous_client(make_client: Callable[..., TestClient]) -> TestClient:
    return make_client(key=False)
