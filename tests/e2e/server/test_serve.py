"""``reclaim serve --workers 2`` as a user starts it: migrates once, answers over HTTP on 127.0.0.1, and a
hash added through whichever worker takes the request is matched by every lookup within a second."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

PDQ = "2d6b1af3a956c529e79ca3d2526fa834d4196c81cedd04de0a26b855fc99b724"
pytestmark = pytest.mark.slow


@pytest.fixture
def server(reclaim_home: Path, tmp_path: Path) -> Iterator[str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "reclaim", "serve", "--port", str(port), "--workers", "2"]
    log = tmp_path / "serve.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(command, env=os.environ.copy(), stdout=sink, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/c/banks").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "server did not answer within 60 s"
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def _all_lookups_answer(base: str, expected: list[str]) -> None:
    """Within 1 s lookups answer ``expected``, and the next ten (spread over both workers) all agree."""
    start = time.monotonic()
    while (found := _lookup(base)) != expected:
        assert time.monotonic() - start < 1.0, f"still {found} after a second"
        time.sleep(0.02)
    time.sleep(max(0.0, start + 1.0 - time.monotonic()))  # a second after the change every worker must agree
    assert [_lookup(base) for _ in range(10)] == [expected] * 10


def _lookup(base: str) -> list[str]:
    return httpx.get(f"{base}/m/raw_lookup", params={"signal_type": "pdq", "signal": PDQ}).json()["matches"]


def test_two_workers_serve_and_stay_fresh(server: str) -> None:
    assert httpx.post(f"{server}/c/banks", json={"name": "known"}).status_code == 201
    added = httpx.post(f"{server}/c/bank/known/signal", params={"content_id": "IMG_1"}, json={"pdq": PDQ})
    assert added.status_code == 201
    _all_lookups_answer(server, ["IMG_1"])
    assert httpx.delete(f"{server}/c/bank/known/content/IMG_1").status_code == 204
    _all_lookups_answer(server, [])
    assert httpx.get(f"{server}/docs").status_code == 200
