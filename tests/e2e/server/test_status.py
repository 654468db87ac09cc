"""``/status`` answers HMA's plain-text readiness reply to anyone, with no key and no database work: 503
``INDEX-NOT-LOADED`` until the worker's index is loaded (asking starts the load), then ``I-AM-ALIVE``;
``/status/live`` is always ``I-AM-ALIVE`` (tests/e2e/server/test_hma_conformance.py covers ``INDEX-STALE``)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from reclaim.server import create_app
from reclaim_testdata import eventually


def test_status_is_alive_in_plain_text_without_a_key(database_url: str) -> None:
    with TestClient(create_app(database_url)) as anonymous:
        live = anonymous.get("/status/live")
        assert (live.status_code, live.text) == (200, "I-AM-ALIVE")
        answer = anonymous.get("/status")
        assert (answer.status_code, answer.text) in ((503, "INDEX-NOT-LOADED"), (200, "I-AM-ALIVE"))
        eventually(lambda: anonymous.get("/status").status_code == 200, "the index did not load", seconds=30)
        answer = anonymous.get("/status")
        assert answer.text == "I-AM-ALIVE" and answer.headers["content-type"].startswith("text/plain")


def test_staff_see_when_the_index_last_refreshed_and_failing_polls_are_logged(
        make_client, accounts, monkeypatch, caplog) -> None:  # type: ignore[no-untyped-def]
    import logging

    from reclaim.server import live

    client = make_client(key=False)
    assert client.get("/status/details").status_code == 401
    accounts.new_user(client, "officer-kim", "officer")
    accounts.sign_in(client, "officer-kim")
    client.app.state.matcher._poll = 0.02
    client.app.state.matcher.match([])  # the first lookup builds the index and starts the poller
    details = client.get("/status/details").json()["bank_index"]
    assert details["failed_polls"] == 0 and details["last_error"] is None
    assert details["seconds_since_refresh"] is not None and details["seconds_since_refresh"] < 5

    def broken(session):  # type: ignore[no-untyped-def]
        raise RuntimeError("database restarting")

    with caplog.at_level(logging.ERROR, logger="reclaim.server.live"):
        monkeypatch.setattr(live, "bank_stamp", broken)
        eventually(lambda: client.app.state.matcher.failures >= 3, "three failed polls", seconds=10)
        details = client.get("/status/details").json()["bank_index"]
    assert details["failed_polls"] >= 3 and details["last_error"] == "RuntimeError: database restarting"
    errors = [r for r in caplog.records if r.name == "reclaim.server.live"]
    assert len(errors) == 1 and "bank index refresh failed" in errors[0].getMessage()  # once, not every poll
    assert errors[0].exc_info is not None


def test_an_api_key_without_staff_role_gets_no_details(client) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/status/details").status_code == 403
