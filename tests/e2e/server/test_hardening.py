"""Hardening seen from outside: security headers on every answer, /docs without any CDN, every refusal in the
access audit (compacted under a flood), sessions ended by a password change, forwarded headers trusted from
nobody by default, and a bounded rate limiter keyed by the API key."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
import uvicorn
from fastapi.testclient import TestClient

from reclaim.accounts import access_log, set_password
from reclaim.server.ratelimit import RateLimit
from reclaim.server.serving import FORWARDED_ENV, proxy_settings


def _refusals(client: TestClient) -> list[Any]:
    with client.app.state.store.session() as session:
        return [e for e in access_log(session, 1000) if e.outcome == "refused" and e.action.startswith("refused.")]


def test_every_answer_carries_the_security_headers(make_client: Callable[..., TestClient], accounts: Any) -> None:
    officer = make_client(key=False)
    accounts.new_user(officer, "officer-kim", "officer")
    accounts.sign_in(officer, "officer-kim")
    for path, kind in (("/", "text/html"), ("/banks", "text/html"), ("/c/banks", "application/json"),
                       ("/login", "text/html"), ("/nowhere", "application/json")):
        answer = officer.get(path)
        csp = answer.headers["content-security-policy"]
        script = re.search(r"script-src ([^;]*)", csp).group(1)  # type: ignore[union-attr]
        assert script == "'self'", path  # no inline script, no other origin
        assert "frame-ancestors 'none'" in csp and answer.headers["x-frame-options"] == "DENY"
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["content-type"].startswith(kind), path
        assert "no-store" in answer.headers["cache-control"], path
    static = officer.get("/static/app.css")
    assert static.headers["x-content-type-options"] == "nosniff" and "no-store" not in static.headers.get(
        "cache-control", "")


def test_docs_load_nothing_from_another_origin(anonymous_client: TestClient) -> None:
    page = anonymous_client.get("/docs")
    assert page.status_code == 200
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page.text, re.S)
    assert scripts and all('src="/' in attrs and not body.strip() for attrs, body in scripts)  # files, no inline
    assert "http" not in page.text  # no CDN
    for asset in re.findall(r'(?:src|href)="(/[^"]+)"', page.text):
        assert anonymous_client.get(asset).status_code == 200, asset
    assert anonymous_client.get("/redoc").status_code == 404  # FastAPI's CDN pages are off


def test_refusals_are_audited_with_their_reason_and_compacted(
        make_client: Callable[..., TestClient], accounts: Any) -> None:
    client = make_client(key=False, lookups_per_second=1, lookup_burst=1)
    now = [0.0]
    client.app.state.refusals.clock = lambda: now[0]
    for _ in range(50):
        assert client.get("/c/banks").status_code == 401
    key = accounts.new_key(client, "reader", ["lookup"])
    bearer = {"Authorization": f"Bearer {key}"}
    assert client.put("/c/bank/x", json={"kind": "negative"}, headers=bearer).status_code == 403
    assert client.get("/c/banks", headers={"Authorization": "Bearer rk_forged"}).status_code == 401
    params = {"signal_type": "pdq", "signal": "f" * 64}
    codes = [client.get("/m/raw_lookup", params=params, headers=bearer).status_code for _ in range(3)]
    assert 429 in codes
    accounts.new_user(client, "officer-kim", "officer")
    accounts.sign_in(client, "officer-kim")
    assert client.post("/c/banks", json={"name": "a"}).status_code == 403  # no CSRF token

    rows = {(e.actor, e.action): e for e in _refusals(client)}
    assert set(rows) == {("anonymous", "refused.401"), ("key:reader", "refused.403"), ("key:unknown", "refused.401"),
                         ("key:reader", "refused.429"), ("user:officer-kim", "refused.403")}
    assert "GET /c/banks: sign in" in rows["anonymous", "refused.401"].target  # one row for 50 refusals
    assert "needs scope bank:write" in rows["key:reader", "refused.403"].target
    assert "CSRF" in rows["user:officer-kim", "refused.403"].target
    assert all(e.client for e in rows.values())

    now[0] = 61.0  # the next minute: the flood's count is written with its next row
    client.cookies.clear()
    assert client.get("/c/banks").status_code == 401
    anonymous = [e for e in _refusals(client) if e.actor == "anonymous"]
    assert len(anonymous) == 2 and anonymous[0].target.endswith("(+49 like it before)")


def test_a_password_change_ends_every_session(make_client: Callable[..., TestClient], accounts: Any) -> None:
    laptop, phone = make_client(key=False), make_client(key=False)
    accounts.new_user(laptop, "officer-kim", "officer")
    for client in (laptop, phone):
        accounts.sign_in(client, "officer-kim")
        assert client.get("/c/banks").status_code == 200
    with laptop.app.state.store.session() as session:
        set_password(session, "officer-kim", "a new long passphrase 2026")
    assert laptop.get("/c/banks").status_code == 401 and phone.get("/c/banks").status_code == 401


def test_forwarded_headers_are_trusted_from_no_one_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(FORWARDED_ENV, raising=False)
    config = uvicorn.Config("reclaim.server:create_app", factory=True, **proxy_settings())  # type: ignore[arg-type]
    assert config.proxy_headers is False  # uvicorn's own default trusts 127.0.0.1
    monkeypatch.setenv(FORWARDED_ENV, "10.0.0.5")
    config = uvicorn.Config("reclaim.server:create_app", factory=True, **proxy_settings())  # type: ignore[arg-type]
    assert config.proxy_headers is True and config.forwarded_allow_ips == "10.0.0.5"


def test_the_rate_limiter_is_bounded_and_keyed_by_the_key(
        make_client: Callable[..., TestClient], accounts: Any) -> None:
    limit = RateLimit(1.0, 1, max_keys=100, clock=lambda: 0.0)
    for n in range(10_000):
        limit.take(f"198.51.100.{n}")
    assert len(limit) == 100

    client = make_client(key=False, lookups_per_second=0.1, lookup_burst=2)  # 10 s to earn one back: the first
    # lookup (it builds the index) once took over a second on a loaded machine
    params = {"signal_type": "pdq", "signal": "f" * 64}
    first, second = (f"Bearer {accounts.new_key(client, name, ['lookup'])}" for name in ("one", "two"))
    codes = [client.get("/m/raw_lookup", params=params, headers={"Authorization": first}).status_code
             for _ in range(3)]
    assert codes[-1] == 429  # the same address...
    assert client.get("/m/raw_lookup", params=params, headers={"Authorization": second}).status_code == 200
