"""Uploads are hashed in memory and dropped, unless a signed-in officer asks to keep one in a case vault."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from reclaim.accounts import access_log
from reclaim.cases import create_case
from reclaim.evidence.casefiles import CaseFiles
from reclaim.evidence.originals import open_vault

PASSPHRASE = "the case vault passphrase"


def _photo() -> dict[str, tuple[str, bytes, str]]:
    buffer = io.BytesIO()
    Image.new("RGB", (80, 60), (10, 120, 200)).save(buffer, "PNG")
    return {"photo": ("found.png", buffer.getvalue(), "image/png")}


@pytest.fixture
def officer(make_client: Callable[..., TestClient], accounts: Any) -> tuple[TestClient, dict[str, str]]:
    client = make_client(key=False)
    with client.app.state.store.session() as session:
        create_case(session, "school-7")
    accounts.new_user(client, "officer-kim", "officer")
    return client, {"X-CSRF-Token": accounts.sign_in(client, "officer-kim")}


def test_a_plain_hash_request_stores_nothing(client: TestClient, reclaim_home: Path) -> None:
    answer = client.post("/api/v1/h/hash", files=_photo())
    assert answer.status_code == 200 and set(answer.json()) >= {"pdq", "sha256", "md5"}
    assert not (reclaim_home / "cases").exists()


def test_an_officer_keeps_an_upload_in_the_case_vault(officer: tuple[TestClient, dict[str, str]],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    client, headers = officer
    monkeypatch.setenv("RECLAIM_VAULT_PASSPHRASE", PASSPHRASE)
    upload = _photo()
    answer = client.post("/api/v1/h/hash", files=upload, data={"keep_in_case": "school-7"}, headers=headers)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["kept_in_vault"] == body["sha256"]
    files = CaseFiles.for_case("school-7")
    vault = open_vault(files, PASSPHRASE, "test")
    assert vault.get_bytes(body["sha256"], actor="test") == upload["photo"][1]
    assert "media.vaulted" in files.log_path.read_text()
    with client.app.state.store.session() as session:
        assert [e.action for e in access_log(session, actor="user:officer-kim")][0] == "upload.vaulted"


def test_keeping_needs_an_officer_a_passphrase_and_a_case(officer: tuple[TestClient, dict[str, str]],
                                                          client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    staff, headers = officer
    keep = {"keep_in_case": "school-7"}
    assert staff.post("/api/v1/h/hash", files=_photo(), data=keep, headers=headers).status_code == 409  # no passphrase
    monkeypatch.setenv("RECLAIM_VAULT_PASSPHRASE", PASSPHRASE)
    assert client.post("/api/v1/h/hash", files=_photo(), data=keep).status_code == 403  # a platform's key may not
    missing = staff.post("/api/v1/h/hash", files=_photo(), data={"keep_in_case": "no-such"}, headers=headers)
    assert missing.status_code == 404
