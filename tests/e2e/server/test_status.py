"""``/status`` answers HMA's plain-text liveness reply to anyone, with no key and no database work."""

from __future__ import annotations

from fastapi.testclient import TestClient

from reclaim.server import create_app


def test_status_is_alive_in_plain_text_without_a_key(database_url: str) -> None:
    with TestClient(create_app(database_url)) as anonymous:
        for path in ("/status", "/api/v1/status"):
            answer = anonymous.get(path)
            assert answer.status_code == 200, path
            assert answer.text == "I-AM-ALIVE"
            assert answer.headers["content-type"].startswith("text/plain")
