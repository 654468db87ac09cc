"""HMA 2.0's routes (/m /h /c /status), answered as HMA answers them, on SQLite and PostgreSQL.

Written from HMA's blueprints and schemas (facebook/ThreatExchange@baefb4ed67b6, OpenMediaMatch): types,
status codes, bodies, field names and validation; plus Reclaim's own rules seen through them (withdrawal
instead of deletion, a bank holding content is not deleted).
"""

from __future__ import annotations

import io
import json
import random
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from reclaim_testdata import eventually

PDQ_A = "2d6b1af3a956c529e79ca3d2526fa834d4196c81cedd04de0a26b855fc99b724"
PDQ_NEAR = "2d6b1af3a956c529e79ca3d2526fa834d4196c81cedd04de0a26b855fc99b7db"  # 8 bits from PDQ_A
PDQ_B = "d294e50c56a93ad61863c5c2ad9057cb2be6937e3122fb21f5d947aa03664817"
MD5 = "d41d8cd98f00b204e9800998ecf8427e"


def _bank(client: TestClient, name: str = "BANK_A", **extra: object) -> None:
    answer = client.post("/c/banks", json={"name": name, **extra})
    assert answer.status_code == 201, answer.text


def _add(client: TestClient, bank: str, signals: dict[str, str]) -> int:
    answer = client.post(f"/c/bank/{bank}/signal", json=signals)
    assert answer.status_code == 200, answer.text
    assert isinstance(answer.json()["id"], int)
    return int(answer.json()["id"])


def test_banks_follow_hmas_names_codes_and_bodies(client: TestClient) -> None:
    assert client.get("/c/banks").json() == []
    created = client.post("/c/banks", json={"name": "MY_BANK_01"})
    assert created.status_code == 201 and created.json() == {"name": "MY_BANK_01", "matching_enabled_ratio": 1.0}
    for bad in ("01_BANK", "my_bank", "BANK-1", "BÄNK"):
        refused = client.post("/c/banks", json={"name": bad})
        assert refused.status_code == 400 and set(refused.json()) == {"message"}, bad
    assert client.post("/c/banks", json={"name": "MY_BANK_01"}).status_code == 403  # HMA: already exists
    assert client.post("/c/banks", json={"name": "HALF", "enabled_ratio": 0.5}).json()["matching_enabled_ratio"] == 0.5
    assert client.get("/c/bank/HALF").json() == {"name": "HALF", "matching_enabled_ratio": 0.5}
    missing = client.get("/c/bank/NOPE")
    assert missing.status_code == 404 and missing.json() == {"message": "bank 'NOPE' not found"}
    assert [b["name"] for b in client.get("/c/banks").json()] == ["HALF", "MY_BANK_01"]


def test_bank_update_renames_switches_and_sets_the_ratio(client: TestClient) -> None:
    _bank(client, "OLD")
    _bank(client, "OTHER")
    assert client.put("/c/bank/OLD", json={"name": "1_bad"}).status_code == 400
    assert client.put("/c/bank/OLD", json={"name": "OTHER"}).status_code == 403
    renamed = client.put("/c/bank/OLD", json={"name": "NEW"})
    assert renamed.status_code == 200 and renamed.json() == {"name": "NEW", "matching_enabled_ratio": 1.0}
    assert client.get("/c/bank/OLD").status_code == 404
    assert client.put("/c/bank/NEW", json={"enabled": False}).json()["matching_enabled_ratio"] == 0
    assert client.put("/c/bank/NEW", json={"enabled_ratio": 0.25}).json()["matching_enabled_ratio"] == 0.25
    assert client.put("/c/bank/NOPE", json={"enabled": True}).status_code == 404
    assert client.get("/c/banks").json() == [{"name": "NEW", "matching_enabled_ratio": 0.25},
                                            {"name": "OTHER", "matching_enabled_ratio": 1.0}]


def test_bank_delete_answers_hmas_body_and_keeps_banks_that_hold_content(client: TestClient) -> None:
    _bank(client, "EMPTY")
    _bank(client, "FULL")
    _add(client, "FULL", {"pdq": PDQ_A})
    assert client.delete("/c/bank/EMPTY").json() == {"message": "Done"}
    assert client.delete("/c/bank/EMPTY").status_code == 200  # as HMA: deleting what is not there is fine
    refused = client.delete("/c/bank/FULL")
    assert refused.status_code == 409 and "withdrawn" in refused.json()["message"]
    assert [b["name"] for b in client.get("/c/banks").json()] == ["FULL"]


def test_signals_are_banked_under_integer_ids_unique_across_banks(client: TestClient) -> None:
    _bank(client, "BANK_A")
    _bank(client, "BANK_B")
    first = client.post("/c/bank/BANK_A/signal", json={"pdq": PDQ_A, "note": "from campaign ABC"})
    assert first.json() == {"id": 1, "signals": {"pdq": PDQ_A}}
    second = _add(client, "BANK_B", {"pdq": PDQ_A})
    assert second == 2  # the same hash in another bank is another content
    assert client.get("/c/bank/BANK_A/content/1").json()["note"] == "from campaign ABC"
    assert client.get("/c/bank/BANK_A/content/2").status_code == 404  # content 2 is BANK_B's
    video = client.post("/c/bank/BANK_A/signal", json={"video_md5": MD5.upper()})
    assert video.json()["signals"] == {"video_md5": MD5}  # pytx's name; kept as Reclaim's md5
    assert client.get("/api/v1/c/bank/BANK_A").json()["active"] == 2
    for body, status in (({"nosuch": PDQ_A}, 400), ({"pdq": "abc"}, 400), ({}, 400), ({"note": "x"}, 400),
                         ({"pdq": PDQ_B, "note": "x" * 256}, 400), ({"pdq": 5}, 400)):
        answer = client.post("/c/bank/BANK_A/signal", json=body)
        assert answer.status_code == status and answer.json()["message"], body
    assert client.post("/c/bank/NOPE/signal", json={"pdq": PDQ_A}).status_code == 404


def test_vpdq_is_banked_and_matched_as_the_whole_feature_list(client: TestClient) -> None:
    _bank(client)
    features = json.dumps([f"{PDQ_A},100,0.0", f"{PDQ_B},100,1.0"])
    added = client.post("/c/bank/BANK_A/signal", json={"vpdq": features})
    assert added.status_code == 200 and json.loads(added.json()["signals"]["vpdq"]) == json.loads(features)
    found = client.get("/m/raw_lookup", params={"signal_type": "vpdq", "signal": features, "include_distance": "1"})
    # the distance as pytx's VPDQSimilarityInfo.pretty_str writes it: the query's share of frames [the banked one's]
    assert found.json() == {"matches": [{"bank_content_id": added.json()["id"], "distance": "100%[100%]"}]}


def test_content_is_read_with_its_switch_note_and_metadata(client: TestClient) -> None:
    _bank(client, "BANK_A")
    cid = _add(client, "BANK_A", {"pdq": PDQ_A})
    plain = client.get(f"/c/bank/BANK_A/content/{cid}").json()
    assert plain == {"id": cid, "disable_until_ts": 1, "original_media_uri": None,
                     "bank": {"name": "BANK_A", "matching_enabled_ratio": 1.0}}
    with_signals = client.get(f"/c/bank/BANK_A/content/{cid}", params={"include_signals": "true"}).json()
    assert with_signals["signals"] == {"pdq": PDQ_A}
    # content banked the Reclaim way keeps its string id, shown to HMA clients as metadata.content_id
    client.post("/api/v1/c/banks", json={"name": "BANK_B"})  # Reclaim's face takes any name
    client.post("/api/v1/c/bank/BANK_B/signal", params={"content_id": "IMG_0042.jpg"}, json={"pdq": PDQ_B})
    found = client.get("/m/raw_lookup", params={"signal_type": "pdq", "signal": PDQ_B}).json()["matches"]
    shown = client.get(f"/c/bank/BANK_B/content/{found[0]}").json()
    assert shown["metadata"] == {"content_id": "IMG_0042.jpg"}
    hidden = client.get(f"/c/bank/BANK_B/content/{found[0]}", params={"include_metadata": "false"}).json()
    assert "metadata" not in hidden
    assert client.get("/c/bank/BANK_A/content/999").status_code == 404
    assert client.get("/c/bank/NOPE/content/1").status_code == 404


def test_content_switch_hides_content_from_lookup_but_not_from_raw_lookup(client: TestClient) -> None:
    _bank(client, "BANK_A")
    cid = _add(client, "BANK_A", {"pdq": PDQ_A})
    path, query = f"/c/bank/BANK_A/content/{cid}", {"signal_type": "pdq", "signal": PDQ_A}
    assert client.get("/m/lookup", params=query).json() == {"BANK_A": [{"bank_content_id": cid, "distance": "0"}]}
    tomorrow = int(time.time()) + 86400
    updated = client.put(path, json={"disable_until_ts": tomorrow, "note": "held back"})
    assert updated.status_code == 200 and updated.json()["disable_until_ts"] == tomorrow
    assert client.get("/m/lookup", params=query).json() == {}
    assert client.get("/m/raw_lookup", params=query).json() == {"matches": [cid]}
    assert client.put(path, json={"disable_until_ts": 0}).status_code == 200  # 0: disabled for good
    assert client.get("/m/lookup", params=query).json() == {}
    client.put(path, json={"disable_until_ts": int(time.time()) - 5})  # a time that has come: enabled
    assert client.get("/m/lookup", params=query).json() != {}
    for bad in (-1, 9_999_999_999, "soon"):
        assert client.put(path, json={"disable_until_ts": bad}).status_code == 400, bad
    assert client.get(path).json()["note"] == "held back"
    client.put(path, json={"note": ""})
    assert "note" not in client.get(path).json()


def test_deleting_content_withdraws_it_everywhere(client: TestClient) -> None:
    _bank(client, "BANK_A")
    cid = _add(client, "BANK_A", {"pdq": PDQ_A})
    assert client.delete(f"/c/bank/BANK_A/content/{cid}").json() == {"deleted": 1}
    assert client.delete(f"/c/bank/BANK_A/content/{cid}").json() == {"deleted": 0}
    assert client.get(f"/c/bank/BANK_A/content/{cid}").status_code == 404
    assert client.get("/m/raw_lookup", params={"signal_type": "pdq", "signal": PDQ_A}).json() == {"matches": []}
    assert client.get("/api/v1/c/bank/BANK_A").json()["withdrawn"] == 1  # kept on record


def test_raw_lookup_answers_ids_or_string_distances_and_honours_banks(client: TestClient) -> None:
    for name in ("BANK_A", "BANK_B", "BANK_C"):
        _bank(client, name)
    ids = [_add(client, name, {"pdq": PDQ_A}) for name in ("BANK_A", "BANK_B", "BANK_C")]
    query = {"signal_type": "pdq", "signal": PDQ_NEAR}
    assert sorted(client.get("/m/raw_lookup", params=query).json()["matches"]) == ids
    assert client.get("/m/raw_lookup", params={**query, "banks": "BANK_A"}).json() == {"matches": [ids[0]]}
    both = client.get("/m/raw_lookup", params={**query, "banks": "BANK_A,BANK_C", "include_distance": "true"})
    assert sorted(both.json()["matches"], key=lambda m: m["bank_content_id"]) == [
        {"bank_content_id": ids[0], "distance": "8"}, {"bank_content_id": ids[2], "distance": "8"}]
    assert client.get("/m/raw_lookup", params={**query, "banks": "NOPE"}).json() == {"matches": []}
    unknown = client.get("/m/raw_lookup", params={"signal_type": "nosuch", "signal": PDQ_A})
    assert unknown.status_code == 400 and unknown.json() == {"message": "No such SignalType 'nosuch'"}
    assert client.get("/m/raw_lookup", params={"signal_type": "pdq", "signal": "zz"}).status_code == 400


def test_lookup_applies_banks_and_hmas_coin_flip(client: TestClient) -> None:
    _bank(client, "ALWAYS")
    _bank(client, "NEVER", enabled_ratio=0.0)
    _bank(client, "HALF", enabled_ratio=0.5)
    ids = {name: _add(client, name, {"pdq": PDQ_A}) for name in ("ALWAYS", "NEVER", "HALF")}
    seeds = [str(n) for n in range(50)]
    low = next(s for s in seeds if 0 < random.Random(s).random() <= 0.5)  # HMA: a bank plays when ratio >= draw
    high = next(s for s in seeds if random.Random(s).random() > 0.5)
    query = {"signal_type": "pdq", "signal": PDQ_A}
    assert set(client.get("/m/lookup", params={**query, "seed": low}).json()) == {"ALWAYS", "HALF"}
    assert set(client.get("/m/lookup", params={**query, "seed": high}).json()) == {"ALWAYS"}
    bypass = client.get("/m/lookup", params={**query, "bypass_coinflip": "true", "banks": "NEVER,HALF"}).json()
    assert bypass == {"NEVER": [{"bank_content_id": ids["NEVER"], "distance": "0"}],
                      "HALF": [{"bank_content_id": ids["HALF"], "distance": "0"}]}
    assert client.get("/m/lookup", params={"signal_type": "pdq"}).status_code == 400
    assert client.get("/m/lookup", params={"url": "http://127.0.0.1:1/x.jpg"}).status_code == 400  # no host allowed


def test_uploads_are_hashed_as_pytx_and_looked_up_per_signal_type(client: TestClient, known_jpeg: Path,
                                                                  decoy_png: Path) -> None:
    from threatexchange.signal_type.pdq.signal import PdqSignal

    data = known_jpeg.read_bytes()
    hashed = client.post("/h/hash", files={"photo": ("k.jpg", data, "image/jpeg")})
    assert hashed.json() == {"pdq": PdqSignal.hash_from_bytes(data)}
    _bank(client)
    added = client.post("/c/bank/BANK_A/content", files={"photo": ("k.jpg", data, "image/jpeg")},
                        data={"note": "from a report", "metadata": json.dumps({"content_uri": "https://x.test/1"})})
    assert added.status_code == 200 and added.json()["signals"] == hashed.json()
    cid = added.json()["id"]
    stored = client.get(f"/c/bank/BANK_A/content/{cid}").json()
    assert stored["note"] == "from a report" and stored["metadata"] == {"content_uri": "https://x.test/1"}
    smaller = io.BytesIO()
    Image.open(io.BytesIO(data)).resize((300, 200)).save(smaller, "PNG")
    found = client.post("/m/lookup", files={"photo": ("y.png", smaller.getvalue(), "image/png")}).json()
    assert list(found) == ["pdq"] and found["pdq"]["BANK_A"][0]["bank_content_id"] == cid
    assert 0 < int(found["pdq"]["BANK_A"][0]["distance"]) <= 31
    decoy = client.post("/m/lookup", files={"photo": ("d.png", decoy_png.read_bytes(), "image/png")})
    assert decoy.json() == {"pdq": {}}
    for files, status in (({}, 400), ({"photo": ("a.jpg", data, "image/jpeg"), "video": ("b.jpg", data, "image/jpeg")},
                                      400), ({"audio": ("a.jpg", data, "image/jpeg")}, 400)):
        assert client.post("/h/hash", files=files or {"x": ("", b"", "text/plain")}).status_code == status
    bad_meta = client.post("/c/bank/BANK_A/content", files={"photo": ("k.jpg", data, "image/jpeg")},
                           data={"metadata": json.dumps({"invalid_metadata": 5})})
    assert bad_meta.status_code == 400


def test_a_video_upload_answers_video_md5_and_every_vpdq_frame(client: TestClient, tmp_path: Path,
                                                              known_jpeg: Path) -> None:
    pytest.importorskip("av", reason="needs reclaim[video]")
    from reclaim.synthetic.video import write_clip

    with Image.open(known_jpeg) as known:
        pictures = [known.copy(), Image.new("RGB", (64, 64), "white"), known.rotate(90)]
    clip = write_clip(tmp_path / "clip.mp4", pictures).read_bytes()
    hashed = client.post("/h/hash", files={"video": ("clip.mp4", clip, "video/mp4")}).json()
    assert set(hashed) == {"video_md5", "vpdq"}
    frames = json.loads(hashed["vpdq"])
    assert len(frames) == 3 and [float(f.split(",")[2]) for f in frames] == [0.0, 1.0, 2.0]
    _bank(client)
    added = client.post("/c/bank/BANK_A/content", files={"video": ("clip.mp4", clip, "video/mp4")}).json()
    found = client.post("/m/lookup", files={"video": ("clip.mp4", clip, "video/mp4")}).json()
    assert found["video_md5"] == {"BANK_A": [{"bank_content_id": added["id"], "distance": "0"}]}
    assert found["vpdq"]["BANK_A"][0]["bank_content_id"] == added["id"]


def test_compare_answers_hmas_pair_and_refuses_malformed_input(client: TestClient) -> None:
    one = "facd8bcb2a49bcebdec1985298d5fe84bcd006c187c598c720c3c087b3fdb318"
    two = "facd8bcb2a49bcebdec1985228d5ae84bcd006c187c598c720c2b087b3fdb318"
    assert client.post("/m/compare", json={"pdq": [one, two]}).json() == {"pdq": [True, {"distance": 9}]}
    for bad in (["banana"], {"pdq": "banana"}, {"pdq": []}, {"pdq": ["banana", "banana"]}, {"pdq": [one, two, one]},
                {"nosuch": [one, two]}):
        assert client.post("/m/compare", json=bad).status_code == 400, bad


def test_index_status_signal_and_content_types(make_client) -> None:  # noqa: ANN001 - the fixture
    client = make_client()
    _bank(client)
    _add(client, "BANK_A", {"pdq": PDQ_A})
    fresh = make_client()  # a worker that has not loaded its index yet
    assert fresh.get("/m/index/status", params={"signal_type": "pdq"}).json() == {
        "pdq": {"present": False, "built_to": -1, "size": 0}}
    assert fresh.get("/status").status_code in (200, 503)  # asking starts the load
    eventually(lambda: fresh.get("/status").status_code == 200, "the index did not load", seconds=30)
    status = fresh.get("/m/index/status").json()
    assert set(status) == {"pdq", "video_md5", "vpdq"} and status["pdq"]["present"] is True
    assert status["pdq"]["size"] == 1 and status["vpdq"]["size"] == 0
    assert fresh.get("/m/index/status", params={"signal_type": "tmk"}).status_code == 400
    assert client.get("/c/signal_type").json() == [{"name": n, "enabled_ratio": 1.0} for n in ("pdq", "video_md5",
                                                                                                 "vpdq")]
    assert client.get("/c/content_type").json() == [{"name": "photo", "enabled": True},
                                                   {"name": "video", "enabled": True}]


def test_signal_type_ratio_is_kept_and_listed_as_hma_does(client: TestClient) -> None:
    listed = client.get("/c/signal_type").json()
    assert listed == [{"name": n, "enabled_ratio": 1.0} for n in ("pdq", "video_md5", "vpdq")]
    changed = client.put("/c/signal_type/pdq", json={"enabled_ratio": 0.25})
    assert (changed.status_code, changed.content) == (204, b"")  # HMA's 204: its JSON body never reaches a client
    assert client.put("/c/signal_type/video_md5", json={"enabled_ratio": "0"}).status_code == 204  # str_to_type
    assert client.get("/c/signal_type").json() == [{"name": "pdq", "enabled_ratio": 0.25},
                                                  {"name": "video_md5", "enabled_ratio": 0.0},
                                                  {"name": "vpdq", "enabled_ratio": 1.0}]
    # as in HMA (pytx's SignalTypeConfig.enabled is enabled_ratio >= 0), the ratio changes no lookup
    _bank(client)
    cid = _add(client, "BANK_A", {"pdq": PDQ_A})
    assert client.put("/c/signal_type/pdq", json={"enabled_ratio": 0}).status_code == 204
    assert client.get("/m/lookup", params={"signal_type": "pdq", "signal": PDQ_A}).json() == {
        "BANK_A": [{"bank_content_id": cid, "distance": "0"}]}
    for body, status, message in (({}, 400, "enabled_ratio is required"), ({"enabled_ratio": None}, 400, None),
                                  ({"enabled_ratio": "half"}, 400, "Invalid float: 'half'"),
                                  ({"enabled_ratio": [1]}, 400, None), ({"enabled_ratio": 1.5}, 400, None),
                                  ({"enabled_ratio": -0.1}, 400, None)):
        refused = client.put("/c/signal_type/pdq", json=body)
        assert refused.status_code == status and set(refused.json()) == {"message"}, body
        assert message is None or refused.json()["message"] == message
    assert client.put("/c/signal_type/tmk", json={"enabled_ratio": 1}).status_code == 404
    assert client.get("/c/signal_type").json()[0] == {"name": "pdq", "enabled_ratio": 0.0}


def test_signal_type_index_compares_the_database_with_the_index(client: TestClient) -> None:
    _bank(client)
    before = int(time.time())
    cid = _add(client, "BANK_A", {"pdq": PDQ_A})
    _add(client, "BANK_A", {"video_md5": MD5})
    assert client.get("/m/raw_lookup", params={"signal_type": "pdq", "signal": PDQ_A}).json() == {"matches": [cid]}
    status = client.get("/c/signal_type/index").json()
    assert set(status) == {"pdq", "video_md5", "vpdq"}
    pdq = status["pdq"]
    assert set(pdq) == {"db_size", "index_size", "index_out_of_date", "newest_db_item", "index_built_to"}
    assert (pdq["db_size"], pdq["index_size"], pdq["index_out_of_date"]) == (1, 1, False)
    assert before <= pdq["newest_db_item"] <= pdq["index_built_to"] <= time.time()
    assert status["video_md5"]["db_size"] == status["video_md5"]["index_size"] == 1
    assert status["vpdq"] == {"db_size": 0, "index_size": 0, "index_out_of_date": False, "newest_db_item": -1,
                              "index_built_to": -1}
    client.delete(f"/c/bank/BANK_A/content/{cid}")
    assert client.get("/m/raw_lookup", params={"signal_type": "pdq", "signal": PDQ_A}).json() == {"matches": []}
    only = client.get("/c/signal_type/index", params={"signal_type": "pdq"}).json()
    assert list(only) == ["pdq"] and (only["pdq"]["db_size"], only["pdq"]["index_size"]) == (0, 0)
    assert client.get("/c/signal_type/index", params={"signal_type": "tmk"}).status_code == 400


def test_status_is_503_until_the_index_loads_and_live_always_answers(make_client) -> None:  # noqa: ANN001
    client = make_client(key=False)
    assert client.get("/status/live").text == "I-AM-ALIVE"
    first = client.get("/status")
    assert (first.status_code, first.text) in ((503, "INDEX-NOT-LOADED"), (200, "I-AM-ALIVE"))
    eventually(lambda: client.get("/status").status_code == 200, "the index did not load", seconds=30)
    matcher = client.app.state.matcher
    matcher._stop.set()  # noqa: SLF001 - the poller stops, as if the worker had lost its database
    if matcher._poller is not None:  # noqa: SLF001
        matcher._poller.join(5)  # noqa: SLF001
    matcher.checked_at = time.time() - 3600
    stale = client.get("/status")
    assert (stale.status_code, stale.text) == (503, "INDEX-STALE")
    assert client.get("/status/live").status_code == 200


def test_hma_routes_need_a_key(anonymous_client: TestClient) -> None:
    for method, path in (("get", "/c/banks"), ("get", "/m/raw_lookup?signal_type=pdq&signal=" + PDQ_A),
                         ("post", "/m/compare"), ("get", "/m/index/status"), ("post", "/c/banks"),
                         ("get", "/c/signal_type/index"), ("put", "/c/signal_type/pdq")):
        assert getattr(anonymous_client, method)(path).status_code == 401, path
