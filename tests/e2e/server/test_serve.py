"""``reclaim serve --workers 2`` as a user starts it: migrates once, answers over HTTP on 127.0.0.1 to a key
made by ``reclaim apikey create``, and a hash added through whichever worker takes the request is matched by
every lookup by the workers' next poll. A revoked key is refused by both workers by their next check (the 1 s
target for both is measured by bench/freshness.py). The hashes looked up
are not written to the server's output (no access log unless --access-log)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from reclaim_testdata import eventually, free_port, running

PDQ = "2d6b1af3a956c529e79ca3d2526fa834d4196c81cedd04de0a26b855fc99b724"
pytestmark = pytest.mark.slow


def _reclaim(*args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "reclaim", *args], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture
def key(reclaim_home: Path) -> str:
    printed = _reclaim("apikey", "create", "--name", "platform", "--scope", "lookup", "--scope", "bank:write")
    return printed.strip().splitlines()[-1]


@pytest.fixture
def server(reclaim_home: Path, tmp_path: Path, key: str) -> Iterator[httpx.Client]:
    port = free_port()
    command = [sys.executable, "-m", "reclaim", "serve", "--port", str(port), "--workers", "2"]
    base = f"http://127.0.0.1:{port}"
    client = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=30)  # a loaded CI
    # machine once took over 5 s (httpx's default) on a worker's first lookup
    try:
        # one decode worker per server worker, not two: nothing here is uploaded, and each is an interpreter to start
        with running(command, {**os.environ, "RECLAIM_DECODE_WORKERS": "1"}, tmp_path / "serve.log",
                     lambda: client.get("/status").status_code == 200, "reclaim serve", timeout=60):
            yield client
    finally:
        client.close()


def _all_lookups_answer(client: httpx.Client, expected: list[str]) -> None:
    """Ten lookups in a row (spread over both workers) all answer ``expected``."""
    eventually(lambda: [_lookup(client) for _ in range(10)] == [expected] * 10, f"not every lookup answers {expected}")


def _lookup(client: httpx.Client) -> list[str]:
    return client.get("/api/v1/m/raw_lookup", params={"signal_type": "pdq", "signal": PDQ}).json()["matches"]


def test_two_workers_serve_and_stay_fresh(server: httpx.Client, tmp_path: Path) -> None:
    assert server.post("/api/v1/c/banks", json={"name": "known"}).status_code == 201
    added = server.post("/api/v1/c/bank/known/signal", params={"content_id": "IMG_1"}, json={"pdq": PDQ})
    assert added.status_code == 201
    _all_lookups_answer(server, ["IMG_1"])
    assert server.delete("/api/v1/c/bank/known/content/IMG_1").status_code == 204
    _all_lookups_answer(server, [])
    assert PDQ not in (tmp_path / "serve.log").read_text()  # no access log by default: it would hold the hashes
    assert httpx.get(f"{server.base_url}/docs").status_code == 200
    assert httpx.get(f"{server.base_url}/api/v1/c/banks").status_code == 401  # no key, no answer

    _reclaim("apikey", "revoke", "platform")
    eventually(lambda: [server.get("/api/v1/c/banks").status_code for _ in range(6)] == [401] * 6,  # both workers
               "the revoked key is still accepted")
