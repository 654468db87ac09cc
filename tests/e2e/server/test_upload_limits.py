"""Upload limits hold before the body is read: a 1 GiB stream is refused (401 without credentials, 413 over the
size limit) after reading at most one limit's worth, and temporary disk barely grows. The app is driven as an
ASGI callable, since the test client reads a streamed request body whole before the app sees it."""

from __future__ import annotations

import asyncio
import io
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image

GIB = 1024**3
MIB = 1024**2
BOUNDARY = "reclaim-test-boundary"


def _folder_bytes(folder: Path) -> int:
    return sum(entry.stat().st_size for entry in os.scandir(folder) if entry.is_file())


def _stream(app: Any, path: str, headers: dict[str, str], total: int, spool: Path) -> tuple[int, int, int, dict]:
    """POST ``total`` bytes of one multipart file part to ``app``, 1 MiB at a time: (status, bytes the app
    pulled, the largest size the temporary folder reached, the JSON answer)."""
    head = (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"big.jpg\"\r\n"
            "Content-Type: image/jpeg\r\n\r\n").encode()
    chunk = b"\xff" * MIB
    pulled, peak = 0, 0
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal pulled, peak
        peak = max(peak, _folder_bytes(spool))
        if pulled >= total:
            return {"type": "http.request", "body": f"\r\n--{BOUNDARY}--\r\n".encode(), "more_body": False}
        body = head if pulled == 0 else chunk
        pulled += len(body)
        return {"type": "http.request", "body": body, "more_body": True}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    raw = [(k.lower().encode(), v.encode()) for k, v in
           {"content-type": f"multipart/form-data; boundary={BOUNDARY}", **headers}.items()]
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "", "headers": raw,
             "client": ("198.51.100.7", 50000), "server": ("testserver", 80)}
    asyncio.run(app(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], pulled, peak, json.loads(body or b"{}")


@pytest.fixture
def spool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where the app's temporary files go during the test, so their growth can be measured."""
    folder = tmp_path / "spool"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def test_an_anonymous_gigabyte_is_refused_before_its_body_is_read(
        make_client: Callable[..., TestClient], spool: Path) -> None:
    app = make_client(key=False).app
    status, pulled, peak, answer = _stream(app, "/m/lookup", {}, GIB, spool)
    assert status == 401 and answer["error"] == "unauthorized"
    assert pulled == 0 and peak == 0


def test_a_declared_gigabyte_is_refused_before_its_body_is_read(
        make_client: Callable[..., TestClient], accounts: Any, spool: Path) -> None:
    client = make_client(key=False)
    key = accounts.new_key(client, "platform", ["lookup"])
    headers = {"authorization": f"Bearer {key}", "content-length": str(GIB)}
    status, pulled, peak, _ = _stream(client.app, "/m/lookup", headers, GIB, spool)
    assert status == 413 and pulled == 0 and peak == 0


@pytest.mark.parametrize("path", ["/m/lookup", "/h/hash", "/api/v1/c/bank/known/content"])
def test_a_streamed_gigabyte_is_cut_off_at_the_limit(
        make_client: Callable[..., TestClient], accounts: Any, spool: Path, path: str) -> None:
    """No Content-Length (chunked): the counting receive stops it; temporary disk grows by under 64 MiB."""
    client = make_client(key=False)
    key = accounts.new_key(client, "platform", ["lookup", "bank:write"])
    status, pulled, peak, _ = _stream(client.app, path, {"authorization": f"Bearer {key}"}, GIB, spool)
    assert status == 413
    assert pulled < 64 * MIB and peak < 64 * MIB


def test_server_uploads_have_a_lower_pixel_cap_than_local_scans(client: TestClient) -> None:
    buffer = io.BytesIO()
    Image.new("L", (8000, 6000)).save(buffer, "PNG")  # 48 megapixels, a few hundred kB
    answer = client.post("/h/hash", files={"photo": ("wide.png", buffer.getvalue(), "image/png")})
    assert answer.status_code == 422 and answer.json()["error"] == "too_large"
    assert "wide.png" in answer.json()["message"]
