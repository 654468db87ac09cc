"""The HMA-compatible API from outside: every route, bad hashes, uploads too big or not media."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from reclaim.server.uploads import MAX_UPLOAD_BYTES

PDQ_A = "2d6b1af3a956c529e79ca3d2526fa834d4196c81cedd04de0a26b855fc99b724"
PDQ_NEAR = "2d6b1af3a956c529e79ca3d2526fa834d4196c81cedd04de0a26b855fc99b7db"  # 8 bits from PDQ_A
PDQ_FAR = "d294e50c56a93ad61863c5c2ad9057cb2be6937e3122fb21f5d947aa03664817"  # every bit flipped


def _bank(client: TestClient, name: str = "known", **extra: object) -> dict:
    response = client.post("/api/v1/c/banks", json={"name": name, **extra})
    assert response.status_code == 201, response.text
    return response.json()


def test_banks_are_created_listed_read_updated_and_deleted_when_empty(client: TestClient) -> None:
    created = _bank(client, "known", pdq_threshold=20)
    assert created == {"name": "known", "matching_enabled_ratio": 1.0, "kind": "known", "pdq_threshold": 20,
                       "active": 0, "withdrawn": 0}
    _bank(client, "fp", kind="negative")
    assert [b["name"] for b in client.get("/api/v1/c/banks").json()] == ["fp", "known"]
    assert client.post("/api/v1/c/banks", json={"name": "known"}).status_code == 409
    assert client.put("/api/v1/c/bank/known", json={"pdq_threshold": 10}).json()["pdq_threshold"] == 10
    assert client.get("/api/v1/c/bank/known").json()["pdq_threshold"] == 10
    assert client.get("/api/v1/c/bank/known").json()["name"] == "known"
    missing = client.get("/api/v1/c/bank/nope")
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"
    client.post("/api/v1/c/bank/known/signal", json={"pdq": PDQ_A})
    assert client.delete("/api/v1/c/bank/known").status_code == 409  # holds content: withdraw instead
    assert client.delete("/api/v1/c/bank/fp").status_code == 204
    assert [b["name"] for b in client.get("/api/v1/c/banks").json()] == ["known"]


def test_raw_lookup_finds_a_near_hash_within_the_banks_threshold_and_not_a_far_one(client: TestClient) -> None:
    _bank(client)
    added = client.post("/api/v1/c/bank/known/signal", params={"content_id": "IMG_1"}, json={"pdq": PDQ_A.upper()})
    assert added.status_code == 201 and added.json() == {"id": "IMG_1", "signals": {"pdq": PDQ_A}}
    near = client.get("/api/v1/m/raw_lookup", params={"signal_type": "pdq", "signal": PDQ_NEAR})
    assert near.json() == {"matches": ["IMG_1"]}
    detailed = client.get("/api/v1/m/raw_lookup", params={"signal_type": "pdq", "signal": PDQ_NEAR,
                                                   "include_distance": "true"})
    assert detailed.json()["matches"] == [{"bank_content_id": "IMG_1", "distance": 8, "bank": "known",
                                           "bank_kind": "known", "signal_type": "pdq"}]
    far = client.get("/api/v1/m/raw_lookup", params={"signal_type": "pdq", "signal": PDQ_FAR})
    assert far.json() == {"matches": []}
    client.put("/api/v1/c/bank/known", json={"pdq_threshold": 5})  # now 8 bits is too far
    again = client.get("/api/v1/m/raw_lookup", params={"signal_type": "pdq", "signal": PDQ_NEAR})
    assert again.json() == {"matches": []}


def test_a_negative_bank_match_suppresses_the_others(client: TestClient) -> None:
    _bank(client)
    _bank(client, "fp", kind="negative")
    client.post("/api/v1/c/bank/known/signal", params={"content_id": "bad"}, json={"pdq": PDQ_A})
    client.post("/api/v1/c/bank/fp/signal", params={"content_id": "meme"}, json={"pdq": PDQ_NEAR})
    found = client.get("/api/v1/m/raw_lookup", params={"signal_type": "pdq", "signal": PDQ_A, "include_distance": True})
    assert [(m["bank"], m["bank_kind"]) for m in found.json()["matches"]] == [("fp", "negative")]


@pytest.mark.parametrize(("signal_type", "signal", "status"), [
    ("pdq", "abc", 400),  # too short
    ("pdq", "z" * 64, 400),  # not hex
    ("pdq", PDQ_A + "00", 400),  # too long
    ("md5", "0" * 31, 400),
    ("sha256", "g" * 64, 400),
    ("nosuch", "0" * 64, 404),
])
def test_bad_hashes_are_refused_with_a_one_line_reason(client: TestClient, signal_type: str, signal: str,
                                                       status: int) -> None:
    _bank(client)
    for response in (client.get("/api/v1/m/raw_lookup", params={"signal_type": signal_type, "signal": signal}),
                     client.post("/api/v1/c/bank/known/signal", json={signal_type: signal})):
        assert response.status_code == status, response.text
        assert response.json()["message"]
    assert client.get("/api/v1/c/bank/known").json()["active"] == 0


def test_uploaded_media_is_hashed_banked_and_looked_up(client: TestClient, known_jpeg: Path,
                                                       decoy_png: Path) -> None:
    data = known_jpeg.read_bytes()
    hashes = client.post("/api/v1/h/hash", files={"photo": ("known.jpg", data, "image/jpeg")})
    assert hashes.status_code == 200 and set(hashes.json()) >= {"pdq", "md5", "sha256"}
    _bank(client)
    added = client.post("/api/v1/c/bank/known/content", files={"photo": ("known.jpg", data, "image/jpeg")},
                        data={"content_id": "case-7/1"})
    assert added.status_code == 201 and added.json()["signals"]["pdq"] == hashes.json()["pdq"]
    exact = client.post("/api/v1/m/lookup", files={"photo": ("x.jpg", data, "image/jpeg")}).json()
    assert exact == {"sha256": {"known": [{"bank_content_id": "case-7/1", "distance": 0, "bank": "known",
                                           "bank_kind": "known", "signal_type": "sha256"}]}}
    smaller = io.BytesIO()
    Image.open(io.BytesIO(data)).resize((300, 200)).save(smaller, "PNG")
    resized = client.post("/api/v1/m/lookup", files={"photo": ("y.png", smaller.getvalue(), "image/png")}).json()
    assert list(resized) == ["pdq"] and resized["pdq"]["known"][0]["bank_content_id"] == "case-7/1"
    assert 0 < resized["pdq"]["known"][0]["distance"] <= 31
    decoy = client.post("/api/v1/m/lookup", files={"photo": ("d.png", decoy_png.read_bytes(), "image/png")})
    assert decoy.status_code == 200 and decoy.json() == {}


def test_uploads_over_the_limit_get_413_and_non_media_422(client: TestClient) -> None:
    huge = b"\xff\xd8\xff" + b"\0" * MAX_UPLOAD_BYTES
    for path in ("/api/v1/h/hash", "/api/v1/m/lookup"):
        too_big = client.post(path, files={"photo": ("big.jpg", huge, "image/jpeg")})
        assert too_big.status_code == 413 and too_big.json()["error"] == "request_entity_too_large"
    broken = client.post("/api/v1/h/hash", files={"photo": ("x.jpg", b"not an image at all", "image/jpeg")})
    assert broken.status_code == 422 and broken.json()["message"]
    assert client.get("/api/v1/m/lookup", params={"url": "http://127.0.0.1/x.jpg"}).status_code == 400
    script = client.post("/api/v1/h/hash", files={"photo": ("x.html", b"<script>", "text/html")})
    assert script.status_code == 415 and "text/html" in script.json()["message"]


def test_withdrawn_content_stops_matching(client: TestClient) -> None:
    _bank(client)
    client.post("/api/v1/c/bank/known/signal", params={"content_id": "IMG_1"}, json={"pdq": PDQ_A})
    assert client.delete("/api/v1/c/bank/known/content/IMG_1").status_code == 204
    assert client.get("/api/v1/m/raw_lookup", params={"signal_type": "pdq", "signal": PDQ_A}).json() == {"matches": []}
    assert client.get("/api/v1/c/bank/known").json()["withdrawn"] == 1


def test_lookups_past_the_rate_limit_get_429_and_curating_is_not_limited(
        make_client: Callable[..., TestClient]) -> None:
    limited = make_client(lookups_per_second=0.5, lookup_burst=3)
    params = {"signal_type": "pdq", "signal": PDQ_A}
    codes = [limited.get("/api/v1/m/raw_lookup", params=params).status_code for _ in range(5)]
    assert codes == [200, 200, 200, 429, 429]
    refused = limited.get("/api/v1/m/raw_lookup", params=params)
    assert refused.headers["retry-after"] == "1"
    assert limited.post("/api/v1/h/hash", files={"photo": ("x.jpg", b"x", "image/jpeg")}).status_code == 429
    assert all(limited.get("/api/v1/c/banks").status_code == 200 for _ in range(5))
