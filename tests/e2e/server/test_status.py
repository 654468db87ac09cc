"""``/status`` answers HMA's plain-text readiness reply to anyone, with no key and no database work: 503
``INDEX-NOT-LOADED`` until the worker's index is loaded (asking starts the load), then ``I-AM-ALIVE``;
``/status/live`` is always ``I-AM-ALIVE`` (tests/e2e/server/test_hma_conformance.py covers ``INDEX-STALE``)."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient

from reclaim.server import create_app


def test_status_is_alive_in_plain_text_without_a_key(database_url: str) -> None:
    with TestClient(create_app(database_url)) as anonymous:
        live = anonymous.get("/status/live")
        assert (live.status_code, live.text) == (200, "I-AM-ALIVE")
        answer = anonymous.get("/status")
        assert (answer.status_code, answer.text) in ((503, "INDEX-NOT-LOADED"), (200, "I-AM-ALIVE"))
        deadline = time.monotonic() + 30
        while answer.status_code != 200:
            assert time.monotonic() < deadline, answer.text
            time.sleep(0.05)
            answer = anonymous.get("/status")
        assert answer.text == "I-AM-ALIVE" and answer.headers["content-type"].startswith("text/plain")
