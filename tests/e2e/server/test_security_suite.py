"""The security suite CI runs on every change: every unsafe route refuses a signed-in browser without its CSRF
token, every page and API answer carries the security headers, and Schemathesis drives the API as a state
machine (calls chained through the links it infers from the schema) with an API key, finding no 500."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
# The sign-in form checks its own pre-session token (test_auth); the self-report forms their own double-submit
# token, since the person has no session (test_self_report).
OWN_TOKEN = {"/login", "/self-report", "/self-report/status", "/self-report/withdraw"}


def _routes(client: TestClient) -> list[tuple[str, str]]:
    """(method, path) of every route the app serves, read from its routers (the app's own list of included
    routers is FastAPI's internal business)."""
    from reclaim.server.app import _API_V1, _HMA, _PAGES

    found = []
    for prefix, routers in (("", (*_HMA, *_PAGES)), ("/api/v1", _API_V1)):
        for router in routers:
            for route in router.routes:
                if isinstance(route, APIRoute):
                    found += [(method, prefix + route.path) for method in sorted(route.methods)]
    return found


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


def test_every_unsafe_route_refuses_a_browser_without_its_csrf_token(
        make_client: Callable[..., TestClient], accounts: Any) -> None:
    officer = make_client(key=False)
    accounts.new_user(officer, "officer-kim", "officer")
    accounts.sign_in(officer, "officer-kim")
    unsafe = [(m, p) for m, p in _routes(officer) if m in UNSAFE and p not in OWN_TOKEN]
    assert len(unsafe) >= 15  # the API's writes and the pages' forms
    answers = {f"{m} {p}": officer.request(m, _concrete(p)) for m, p in unsafe}
    refused = {k: a.status_code for k, a in answers.items() if a.status_code != 403 or "CSRF" not in a.text}
    assert refused == {}


def test_every_get_route_answers_with_the_security_headers(
        make_client: Callable[..., TestClient], accounts: Any) -> None:
    officer = make_client(key=False)
    accounts.new_user(officer, "officer-kim", "officer")
    accounts.sign_in(officer, "officer-kim")
    for method, path in _routes(officer):
        if method != "GET":
            continue
        answer = officer.get(_concrete(path), follow_redirects=False)
        assert "frame-ancestors 'none'" in answer.headers["content-security-policy"], path
        assert answer.headers["x-content-type-options"] == "nosniff", path
        if answer.headers.get("content-type", "").startswith("text/html"):
            assert "no-store" in answer.headers["cache-control"], path


schemathesis = pytest.importorskip("schemathesis", reason="needs the test extra")


class _Fresh:
    """The app under test, made anew on a fresh copy of one migrated database for each state machine run: a run
    replayed by Hypothesis (to shrink, or to check a draw) must meet the same server, not one that still holds
    the banks an earlier run created (those runs drew differently: FlakyStrategyDefinition)."""

    def __init__(self, template: Path) -> None:
        self.template, self.runs = template, 0
        self.app: Any = None
        self.renew()

    def renew(self) -> None:
        import shutil

        from reclaim.server import create_app

        self.runs += 1
        db = self.template.with_name(f"run-{self.runs}.db")
        shutil.copyfile(self.template, db)
        if self.app is not None:
            self.app.state.matcher.close()
            self.app.state.store.close()
        self.app = create_app(f"sqlite:///{db}")

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)


@pytest.mark.slow
def test_the_api_as_a_state_machine_never_answers_500(tmp_path: Path) -> None:
    from hypothesis import HealthCheck, settings
    from schemathesis.generation.stateful import run_state_machine_as_test

    from reclaim.accounts import create_api_key
    from reclaim.store import open_store

    template = tmp_path / "template.db"
    with open_store(f"sqlite:///{template}") as store, store.session() as session:
        key = create_api_key(session, "fuzz", ["lookup", "bank:write"], created_by="tests")
    app = _Fresh(template)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    # positive inputs only: a mix draws differently between runs of one step, which Hypothesis refuses as flaky
    schema.config.generation.update(modes=[schemathesis.GenerationMode.POSITIVE])
    machine = schema.as_state_machine()
    calls: list[str] = []

    class Authenticated(machine):  # type: ignore[misc, valid-type]
        def setup(self) -> None:
            app.renew()

        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"headers": {"Authorization": f"Bearer {key}"}}

        def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
            calls.append(f"{case.method} {response.status_code}")
            assert response.status_code < 500, f"{case.method} {case.formatted_path} -> {response.status_code}"

    run_state_machine_as_test(
        Authenticated, settings=settings(max_examples=15, stateful_step_count=6, deadline=None, database=None,
                                         suppress_health_check=list(HealthCheck)))
    assert len(calls) >= 30 and any(c.startswith(("POST 2", "PUT 2", "DELETE 2")) for c in calls), calls[:20]
