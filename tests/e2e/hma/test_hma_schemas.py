"""Our HMA answers against HMA's own response models (OpenMediaMatch/schemas), strictly: every field HMA declares
is there with HMA's type (pydantic strict mode: an int is not a str, a str not an int), and no field HMA does
not declare. The schema modules are read at test time from the pinned local mirror (see test_hma_suite.py).
"""

from __future__ import annotations

import json
import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel
from test_hma_suite import HMA_COMMIT, _mirror

SCHEMAS = "hasher-matcher-actioner/src/OpenMediaMatch/schemas"
PDQ = "2d6b1af3a956c529e79ca3d2526fa834d4196c81cedd04de0a26b855fc99b724"


@pytest.fixture(scope="module")
def hma() -> dict[str, types.ModuleType]:
    mirror = _mirror()
    if mirror is None:
        pytest.skip(f"no git mirror of facebook/ThreatExchange holding {HMA_COMMIT} (set RECLAIM_HMA_GIT)")
    modules = {}
    for name in ("shared", "curation", "matching", "hashing"):
        source = subprocess.run(["git", "--git-dir", str(mirror), "show", f"{HMA_COMMIT}:{SCHEMAS}/{name}.py"],
                                capture_output=True, text=True, check=True).stdout
        module = types.ModuleType(f"hma_schemas_{name}")
        sys.modules[module.__name__] = module  # pydantic resolves the models' annotations through it
        exec(compile(source, f"{SCHEMAS}/{name}.py", "exec"), module.__dict__)  # noqa: S102 - Meta's models
        modules[name] = module
    return modules


def _strict(model: type[BaseModel], answer: Any) -> None:  # noqa: ANN401 - a JSON answer
    """``answer`` validates strictly, and carries no key the model lacks (unless it allows extra keys)."""
    assert isinstance(answer, dict), answer
    model.model_validate_json(json.dumps(answer), strict=True)
    if model.model_config.get("extra") != "allow":
        declared = {f.serialization_alias or f.alias or n for n, f in model.model_fields.items()}
        assert set(answer) <= declared, f"{model.__name__}: extra keys {set(answer) - declared}"


def test_our_answers_fit_hmas_response_models(client: TestClient, hma: dict[str, types.ModuleType]) -> None:
    curation, matching, shared = hma["curation"], hma["matching"], hma["shared"]
    created = client.post("/c/banks", json={"name": "BANK_A"})
    _strict(curation.BankConfig, created.json())
    for bank in client.get("/c/banks").json():
        _strict(curation.BankConfig, bank)
    _strict(curation.BankConfig, client.put("/c/bank/BANK_A", json={"enabled_ratio": 0.5}).json())
    added = client.post("/c/bank/BANK_A/signal", json={"pdq": PDQ, "note": "n"}).json()
    cid = added["id"]
    assert isinstance(cid, int) and added["signals"] == {"pdq": PDQ}
    for params in ({}, {"include_signals": "true"}):
        _strict(curation.BankContentResponse, client.get(f"/c/bank/BANK_A/content/{cid}", params=params).json())
    for params in ({}, {"include_distance": "true"}):
        _strict(matching.RawLookupResponse, client.get("/m/raw_lookup", params={
            "signal_type": "pdq", "signal": PDQ, **params}).json())
    lookup = client.get("/m/lookup", params={"signal_type": "pdq", "signal": PDQ, "bypass_coinflip": "true"}).json()
    _strict(matching.LookupResponse, lookup)
    for match in lookup["BANK_A"]:
        _strict(matching.MatchWithDistance, match)
    _strict(matching.IndexStatusResponse, client.get("/m/index/status").json())
    _strict(matching.CompareResponse, client.post("/m/compare", json={"pdq": [PDQ, PDQ]}).json())
    _strict(shared.ErrorResponse, client.get("/c/bank/NOPE").json())
    _strict(shared.ErrorResponse, client.get("/m/raw_lookup", params={"signal_type": "x", "signal": "y"}).json())
    for signal_type in client.get("/c/signal_type").json():
        _strict(curation.SignalTypeConfig, signal_type)
    for content_type in client.get("/c/content_type").json():
        _strict(curation.ContentTypeConfig, content_type)
    assert client.delete(f"/c/bank/BANK_A/content/{cid}").json() == {"deleted": 1}
    _strict(shared.SuccessResponse, client.delete("/c/bank/NOPE").json())


def test_uploads_content_and_video_answers_fit_hmas_models(client: TestClient, hma: dict[str, types.ModuleType],
                                                           known_jpeg: Path) -> None:
    curation, hashing, matching = hma["curation"], hma["hashing"], hma["matching"]
    photo = {"photo": ("k.jpg", known_jpeg.read_bytes(), "image/jpeg")}
    _strict(hashing.HashResponse, client.post("/h/hash", files=photo).json())
    assert client.post("/c/banks", json={"name": "BANK_A"}).status_code == 201
    added = client.post("/c/bank/BANK_A/content", files=photo,
                        data={"note": "from a report", "metadata": json.dumps({"content_id": "r-1", "json": {"a": 1}})})
    stored = client.get(f"/c/bank/BANK_A/content/{added.json()['id']}", params={"include_signals": "true"}).json()
    assert stored["metadata"] == {"content_id": "r-1", "json": {"a": 1}} and stored["note"] == "from a report"
    _strict(curation.BankContentResponse, stored)
    looked = client.post("/m/lookup", files=photo).json()
    _strict(matching.LookupResponse, looked)
    for match in looked["pdq"]["BANK_A"]:
        _strict(matching.MatchWithDistance, match)
    frames = json.dumps([f"{PDQ},100,0.0", f"{PDQ[::-1]},100,1.0"])
    video = client.post("/c/bank/BANK_A/signal", json={"vpdq": frames, "video_md5": "d41d8cd98f00b204e9800998ecf8427e"})
    assert video.status_code == 200
    raw = client.get("/m/raw_lookup", params={"signal_type": "vpdq", "signal": frames, "include_distance": "true"})
    _strict(matching.RawLookupResponse, raw.json())
    for match in raw.json()["matches"]:
        _strict(matching.MatchWithDistance, match)
        assert match["distance"] == "100%[100%]"
