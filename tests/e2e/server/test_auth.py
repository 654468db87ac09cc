"""Who may call what: every API route against each role and key scope (allowed and denied), sign-in, CSRF,
the login rate limit, revoked keys and disabled users, and the access audit of sign-ins."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from reclaim.accounts import access_log
from reclaim.accounts.users import disable_user

PDQ = "2d6b1af3a956c529e79ca3d2526fa834d4196c81cedd04de0a26b855fc99b724"


def _jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), (200, 30, 90)).save(buffer, "JPEG")
    return buffer.getvalue()


# (name, method, path, keyword arguments); the banks "known" and "other" exist, "known" holds IMG_1.
ROUTES = {
    "raw_lookup": ("GET", "/api/v1/m/raw_lookup", {"params": {"signal_type": "pdq", "signal": PDQ}}),
    "lookup_upload": ("POST", "/api/v1/m/lookup", {"files": {"photo": ("a.jpg", _jpeg(), "image/jpeg")}}),
    "hash": ("POST", "/api/v1/h/hash", {"files": {"photo": ("a.jpg", _jpeg(), "image/jpeg")}}),
    "list_banks": ("GET", "/api/v1/c/banks", {}),
    "read_bank": ("GET", "/api/v1/c/bank/known", {}),
    "create_bank": ("POST", "/api/v1/c/banks", {"json": {"name": "new-bank"}}),
    "update_known": ("PUT", "/api/v1/c/bank/known", {"json": {"pdq_threshold": 20}}),
    "make_known_negative": ("PUT", "/api/v1/c/bank/known", {"json": {"kind": "negative"}}),
    "delete_empty": ("DELETE", "/api/v1/c/bank/empty", {}),
    "add_to_known": ("POST", "/api/v1/c/bank/known/signal", {"json": {"pdq": "a" * 64}}),
    "add_to_other": ("POST", "/api/v1/c/bank/other/signal", {"json": {"pdq": "b" * 64}}),
    "withdraw_from_known": ("DELETE", "/api/v1/c/bank/known/content/IMG_1", {}),
}
READS = {"raw_lookup", "lookup_upload", "hash", "list_banks", "read_bank"}
CONTENT_KNOWN = {"add_to_known", "withdraw_from_known"}  # what a key scoped to the bank "known" may do
SETTINGS = {"update_known", "make_known_negative", "delete_empty", "create_bank"}  # global bank:write or staff
EVERYTHING = set(ROUTES)

# Who is asking -> the routes they may call; every other route must be refused.
ALLOWED: dict[str, set[str]] = {
    "anonymous": set(),
    "key:lookup": READS,
    "key:bank:write:known": CONTENT_KNOWN,
    "key:bank:write": CONTENT_KNOWN | SETTINGS | {"add_to_other"},
    "key:lookup+bank:write:known": READS | CONTENT_KNOWN,
    "admin": EVERYTHING,
    "officer": EVERYTHING,
    "victim": set(),
}


def _caller(make_client: Callable[..., TestClient], accounts: Any, who: str) -> tuple[TestClient, dict[str, str]]:
    """A client acting as ``who``, and the headers its unsafe requests need."""
    client = make_client(key=False)
    if who == "anonymous":
        return client, {}
    if who.startswith("key:"):
        scopes = who.removeprefix("key:").replace("lookup+", "lookup ").split()
        return client, {"Authorization": "Bearer " + accounts.new_key(client, who, scopes)}
    if who == "victim":
        with client.app.state.store.session() as session:
            from reclaim.cases import create_case

            create_case(session, "victim-case")
    accounts.new_user(client, who, who, case="victim-case" if who == "victim" else None)
    return client, {"X-CSRF-Token": accounts.sign_in(client, who)}


@pytest.mark.parametrize("who", list(ALLOWED))
def test_each_role_and_scope_is_allowed_exactly_its_routes(
        accounts: Any, make_client: Callable[..., TestClient], who: str) -> None:
    setup = make_client()
    for bank in ("known", "other", "empty"):
        assert setup.post("/api/v1/c/banks", json={"name": bank}).status_code == 201
    added = setup.post("/api/v1/c/bank/known/signal", params={"content_id": "IMG_1"}, json={"pdq": PDQ})
    assert added.status_code == 201

    client, headers = _caller(make_client, accounts, who)
    outcomes = {}
    for name, (method, path, kwargs) in ROUTES.items():
        outcomes[name] = client.request(method, path, headers=headers, **kwargs).status_code
    denied = 401 if who == "anonymous" else 403
    expected = {name: ("allowed" if name in ALLOWED[who] else denied) for name in ROUTES}
    seen = {name: ("allowed" if code < 400 else code) for name, code in outcomes.items()}
    assert seen == expected


@pytest.mark.parametrize("who", ["key:bank:write", "admin"])
def test_thresholds_are_capped_at_the_signals_default_for_every_caller(
        accounts: Any, make_client: Callable[..., TestClient], who: str) -> None:
    setup = make_client()
    setup.post("/api/v1/c/banks", json={"name": "known", "pdq_threshold": 10})
    client, headers = _caller(make_client, accounts, who)
    assert client.put("/api/v1/c/bank/known", headers=headers, json={"pdq_threshold": 32}).status_code == 422
    assert client.put("/api/v1/c/bank/known", headers=headers, json={"pdq_threshold": 128}).status_code == 422
    wide = client.post("/api/v1/c/banks", headers=headers, json={"name": "wide", "pdq_threshold": 64})
    assert wide.status_code == 422
    assert client.put("/api/v1/c/bank/known", headers=headers, json={"pdq_threshold": 31}).status_code == 200
    assert setup.get("/api/v1/c/bank/known").json()["pdq_threshold"] == 31


def test_a_bank_scoped_key_cannot_switch_matching_off_everywhere(
        accounts: Any, make_client: Callable[..., TestClient]) -> None:
    """The attack of issue 20: a one-bank key turned its bank negative and every exact match vanished."""
    setup = make_client()
    for bank in ("victims", "mine"):
        setup.post("/api/v1/c/banks", json={"name": bank})
    setup.post("/api/v1/c/bank/victims/signal", json={"pdq": PDQ})
    client, headers = _caller(make_client, accounts, "key:bank:write:mine")
    assert client.post("/api/v1/c/bank/mine/signal", headers=headers, json={"pdq": PDQ}).status_code == 201
    assert client.put("/api/v1/c/bank/mine", headers=headers, json={"kind": "negative"}).status_code == 403
    assert client.put("/api/v1/c/bank/mine", headers=headers, json={"pdq_threshold": 31}).status_code == 403
    assert client.delete("/api/v1/c/bank/mine", headers=headers).status_code == 403
    found = setup.get("/api/v1/m/raw_lookup", params={"signal_type": "pdq", "signal": PDQ}).json()["matches"]
    assert len(found) == 2  # both banks still match: nothing was suppressed



def test_a_bank_scoped_key_cannot_change_an_hma_banks_settings(
        accounts: Any, make_client: Callable[..., TestClient]) -> None:
    """The same rule on HMA's face: a one-bank key may add content, not rename, disable or delete its bank."""
    setup = make_client()
    assert setup.post("/c/banks", json={"name": "MINE"}).status_code == 201
    client, headers = _caller(make_client, accounts, "key:bank:write:MINE")
    assert client.post("/c/bank/MINE/signal", headers=headers, json={"pdq": PDQ}).status_code == 200
    for change in ({"enabled": False}, {"enabled_ratio": 0.0}, {"name": "OTHER"}):
        assert client.put("/c/bank/MINE", headers=headers, json=change).status_code == 403, change
    assert client.delete("/c/bank/MINE", headers=headers).status_code == 403
    assert setup.get("/c/bank/MINE").json()["matching_enabled_ratio"] == 1.0


def test_a_browser_post_without_its_csrf_token_is_refused(
        accounts: Any, make_client: Callable[..., TestClient]) -> None:
    client = make_client(key=False)
    accounts.new_user(client, "officer-kim", "officer")
    token = accounts.sign_in(client, "officer-kim")
    assert client.post("/api/v1/c/banks", json={"name": "a"}).status_code == 403
    assert client.post("/api/v1/c/banks", json={"name": "a"}, headers={"X-CSRF-Token": "forged"}).status_code == 403
    assert client.post("/api/v1/c/banks", json={"name": "a"}, headers={"X-CSRF-Token": token}).status_code == 201
    assert client.get("/api/v1/c/banks").status_code == 200  # reads need no token


def test_the_login_form_needs_its_own_token_and_a_right_password(
        accounts: Any, make_client: Callable[..., TestClient]) -> None:
    client = make_client(key=False)
    accounts.new_user(client, "officer-lee", "officer")
    refused = client.post("/login", data={"username": "officer-lee", "password": accounts.password, "csrf_token": "x"},
                          follow_redirects=False)
    assert refused.status_code == 403  # a cross-site form cannot sign anyone in
    form = client.get("/login?next=//evil.example/")
    token = accounts.form_token(form.text)
    wrong = client.post("/login", data={"username": "officer-lee", "password": "not the password",
                                        "csrf_token": token})
    assert wrong.status_code == 401 and "Wrong name or password" in wrong.text
    form = client.get("/login?next=//evil.example/")
    token = accounts.form_token(form.text)
    assert 'value="//evil.example/"' not in form.text  # an off-site "next" is dropped
    ok = client.post("/login", data={"username": "officer-lee", "password": accounts.password, "csrf_token": token,
                                     "next": "//evil.example/"}, follow_redirects=False)
    assert ok.status_code == 303 and ok.headers["location"] == "/"
    cookie = ok.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    with client.app.state.store.session() as session:
        log = access_log(session, actor="user:officer-lee")
    assert [(e.action, e.outcome) for e in log] == [("login", "ok"), ("login", "refused")]


def test_sign_ins_are_rate_limited_per_client(accounts: Any, make_client: Callable[..., TestClient]) -> None:
    client = make_client(key=False)
    client.app.state.login_limit.clock = lambda: 0.0  # no refill while a slow machine checks passwords
    codes = []
    for _ in range(12):
        form = client.get("/login")
        token = accounts.form_token(form.text)
        codes.append(client.post("/login", data={"username": "nobody", "password": "guess-guess-guess",
                                                 "csrf_token": token}).status_code)
    assert codes[:10] == [401] * 10 and codes[10:] == [429, 429]


def test_logout_and_disabling_end_the_session(
        accounts: Any, make_client: Callable[..., TestClient]) -> None:
    client = make_client(key=False)
    accounts.new_user(client, "officer-park", "officer")
    token = accounts.sign_in(client, "officer-park")
    assert client.get("/api/v1/c/banks").status_code == 200
    assert client.post("/logout", headers={"X-CSRF-Token": token}, follow_redirects=False).status_code == 303
    assert client.get("/api/v1/c/banks").status_code == 401

    accounts.sign_in(client, "officer-park")
    with client.app.state.store.session() as session:
        disable_user(session, "officer-park")
    assert client.get("/api/v1/c/banks").status_code == 401


def test_keys_are_refused_when_unknown_malformed_or_revoked(
        accounts: Any, make_client: Callable[..., TestClient]) -> None:
    client = make_client(key=False)
    key = accounts.new_key(client, "platform", ["lookup"])
    assert client.get("/api/v1/c/banks", headers={"Authorization": f"Bearer {key}"}).status_code == 200
    for header in ("Bearer rk_not-a-key", f"Basic {key}", "Bearer "):
        answer = client.get("/api/v1/c/banks", headers={"Authorization": header})
        assert answer.status_code == 401 and answer.headers["www-authenticate"] == "Bearer"
    with client.app.state.store.session() as session:
        from reclaim.accounts import revoke_api_key

        revoke_api_key(session, "platform")
    fresh = make_client(key=False)  # another worker, with no cached answer
    assert fresh.get("/api/v1/c/banks", headers={"Authorization": f"Bearer {key}"}).status_code == 401


PAGES = ("/", "/cases/victim-case", "/cases/victim-case/takedowns", "/banks", "/audit", "/my-case")
PAGES_ALLOWED: dict[str, set[str]] = {
    "admin": set(PAGES) - {"/my-case"},
    "officer": set(PAGES) - {"/my-case"},
    "victim": {"/my-case"},
    "key:lookup": set(),
    "key:bank:write": set(),
}


@pytest.mark.parametrize("who", [*PAGES_ALLOWED, "anonymous"])
def test_each_role_sees_exactly_its_pages(accounts: Any, make_client: Callable[..., TestClient], who: str) -> None:
    client, headers = _caller(make_client, accounts, who)
    if who != "victim":
        with client.app.state.store.session() as session:
            from reclaim.cases import create_case

            create_case(session, "victim-case")
    seen = {path: client.get(path, headers=headers, follow_redirects=False).status_code for path in PAGES}
    if who == "anonymous":
        assert set(seen.values()) == {303}  # sent to the login form
        return
    assert seen == {path: 200 if path in PAGES_ALLOWED[who] else 403 for path in PAGES}
