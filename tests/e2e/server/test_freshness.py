"""Two workers over one database: a change through one is seen by the other by its next poll (the 1 s target is
measured by bench/freshness.py)."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from reclaim.banks.service import reinstate_content
from reclaim.matching import pdq_cache
from reclaim.store import open_store
from reclaim.store.models import BankContent
from reclaim_testdata import eventually

PDQ = "2d6b1af3a956c529e79ca3d2526fa834d4196c81cedd04de0a26b855fc99b724"


def _seen_within(client: TestClient, expected: list[str]) -> None:
    """``client`` answers ``expected`` for PDQ within the tests' freshness bound."""
    def found() -> list[str]:
        return client.get("/api/v1/m/raw_lookup", params={"signal_type": "pdq", "signal": PDQ}).json()["matches"]

    eventually(lambda: found() == expected, f"worker B does not answer {expected}")


def test_a_hash_added_or_withdrawn_on_one_worker_is_seen_by_another_by_its_next_poll(
    make_client: Callable[[], TestClient],
) -> None:
    a, b = make_client(), make_client()
    a.post("/api/v1/c/banks", json={"name": "known"})
    assert b.get("/api/v1/m/raw_lookup", params={"signal_type": "pdq", "signal": PDQ}).json() == {"matches": []}
    assert a.post("/api/v1/c/bank/known/signal", params={"content_id": "IMG_1"}, json={"pdq": PDQ}).status_code == 201
    _seen_within(b, ["IMG_1"])
    assert a.delete("/api/v1/c/bank/known/content/IMG_1").status_code == 204
    _seen_within(b, [])


def test_a_reinstated_hash_is_seen_again_by_a_running_worker(
    make_client: Callable[[], TestClient], database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reinstating escapes the quick diff (no new row, no new withdrawal); the full check that each worker runs
    after every change must find it and rebuild."""
    monkeypatch.setattr(pdq_cache, "RESAVE_ROWS", 1)  # the cache file itself forgets the withdrawn hash
    a, b = make_client(), make_client()
    a.post("/api/v1/c/banks", json={"name": "known"})
    assert a.post("/api/v1/c/bank/known/signal", params={"content_id": "IMG_1"}, json={"pdq": PDQ}).status_code == 201
    _seen_within(b, ["IMG_1"])
    assert a.delete("/api/v1/c/bank/known/content/IMG_1").status_code == 204
    _seen_within(b, [])
    with open_store(database_url) as store, store.session() as session:
        reinstate_content(session, session.query(BankContent).filter_by(content_id="IMG_1").one())
    _seen_within(b, ["IMG_1"])


def test_hma_switches_changed_on_one_worker_are_applied_by_another_by_its_next_poll(
    make_client: Callable[[], TestClient],
) -> None:
    """Workers keep content switches and bank ratios in memory (no database read per hit): a change through
    one worker must reach the others' lookups within their poll, never stay stale."""
    a, b = make_client(), make_client()
    assert a.post("/c/banks", json={"name": "KNOWN"}).status_code == 201
    cid = a.post("/c/bank/KNOWN/signal", json={"pdq": PDQ}).json()["id"]
    hit = {"KNOWN": [{"bank_content_id": cid, "distance": "0"}]}

    def b_answers(expected: dict[str, object]) -> None:
        eventually(lambda: b.get("/m/lookup", params={"signal_type": "pdq", "signal": PDQ}).json() == expected,
                   f"worker B does not answer {expected}")

    b_answers(hit)
    a.put(f"/c/bank/KNOWN/content/{cid}", json={"disable_until_ts": int(time.time()) + 3600})
    b_answers({})
    a.put(f"/c/bank/KNOWN/content/{cid}", json={"disable_until_ts": 1})
    b_answers(hit)
    a.put("/c/bank/KNOWN", json={"enabled": False})
    b_answers({})
    a.put("/c/bank/KNOWN", json={"enabled_ratio": 1.0, "name": "RENAMED"})
    b_answers({"RENAMED": hit["KNOWN"]})
