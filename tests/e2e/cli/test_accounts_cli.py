"""``reclaim user``, ``reclaim apikey`` and ``reclaim audit``: accounts made and changed from the terminal,
keys shown once and stored only as a digest, clear one-line errors for wrong combinations."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select

from reclaim.accounts import authenticate, find_api_key, record_access
from reclaim.store import open_store
from reclaim.store.models import ApiKey, User


@pytest.fixture
def password(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("RECLAIM_USER_PASSWORD", "a long enough password")
    return "a long enough password"


def test_users_are_added_with_argon2id_and_victims_tied_to_their_case(cli, password: str) -> None:
    assert cli("user", "add", "kim", "--role", "officer").code == 0
    assert cli("case", "new", "school-7").code == 0
    assert cli("user", "add", "minji", "--role", "victim", "--case", "school-7").code == 0
    with open_store() as store, store.session() as session:
        stored = session.scalar(select(User.password_hash).where(User.name == "kim"))
        assert stored.startswith("$argon2id$") and password not in stored
        assert authenticate(session, "kim", password) is not None
        assert authenticate(session, "kim", "a wrong password!") is None
    listed = cli("user", "list").out
    assert "kim" in listed and "officer" in listed and "school-7" in listed


@pytest.mark.parametrize(("args", "message"), [
    (("user", "add", "lee", "--role", "victim"), "needs --case"),
    (("user", "add", "lee", "--role", "officer", "--case", "school-7"), "needs --case"),
    (("user", "add", "lee", "--role", "victim", "--case", "no-such-case"), "case 'no-such-case' not found"),
    (("user", "add", "kim", "--role", "admin"), "user 'kim' already exists"),
    (("apikey", "create", "--name", "p", "--scope", "delete-everything"), "bad scope 'delete-everything'"),
    (("apikey", "revoke", "nobody"), "API key 'nobody' not found"),
])
def test_wrong_combinations_get_one_line_errors(cli, password: str, args: tuple[str, ...], message: str) -> None:
    cli("case", "new", "school-7")
    cli("user", "add", "kim", "--role", "officer")
    result = cli(*args)
    assert result.code == 2 and message in result.err and len(result.err.strip().splitlines()) == 1


def test_a_short_password_is_refused(cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECLAIM_USER_PASSWORD", "short")
    result = cli("user", "add", "kim", "--role", "admin")
    assert result.code == 2 and "at least 10 characters" in result.err


def test_a_key_is_printed_once_alone_on_the_last_line_and_stored_as_a_digest(cli) -> None:
    result = cli("apikey", "create", "--name", "platform-x", "--scope", "lookup", "--scope", "bank:write:known")
    assert result.code == 0
    key = result.out.strip().splitlines()[-1]
    assert key.startswith("rk_") and len(key) > 40 and " " not in key
    with open_store() as store, store.session() as session:
        row = session.scalar(select(ApiKey).where(ApiKey.name == "platform-x"))
        assert row.key_sha256 == hashlib.sha256(key.encode()).hexdigest()
        assert row.scopes == ["bank:write:known", "lookup"]
        assert find_api_key(session, key) is not None
    listed = cli("apikey", "list").out
    assert "platform-x" in listed and key not in listed
    assert cli("apikey", "revoke", "platform-x").code == 0
    with open_store() as store, store.session() as session:
        assert find_api_key(session, key) is None


def test_the_audit_command_shows_the_newest_accesses_first(cli) -> None:
    with open_store() as store, store.session() as session:
        record_access(session, "user:kim", "unblur", "item:1", client="127.0.0.1")
        record_access(session, "user:lee", "login", "session", outcome="refused")
    shown = cli("audit").out
    assert shown.index("user:lee") < shown.index("user:kim") and "unblur" in shown and "refused" in shown
    only_kim = cli("audit", "--actor", "user:kim").out
    assert "user:kim" in only_kim and "user:lee" not in only_kim
