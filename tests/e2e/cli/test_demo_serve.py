"""``reclaim demo --serve``: the demo case behind the web UI, with an officer's and the victim's sign-ins
printed; each signs in with what was printed and lands on their own page."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import pytest

httpx = pytest.importorskip("httpx")
pytest.importorskip("uvicorn", reason="needs reclaim[server]")
pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _sign_in(base: str, name: str, password: str) -> httpx.Client:
    client = httpx.Client(base_url=base)
    form = client.get("/login").text
    token = form.split('name="csrf_token" value="')[1].split('"')[0]
    answer = client.post("/login", data={"username": name, "password": password, "csrf_token": token})
    assert answer.status_code in (303, 401), answer.text  # 303: signed in; 401: wrong password
    return client


def test_demo_serve_prints_a_url_and_logins_that_work(tmp_path: Path) -> None:
    port = _free_port()
    log = tmp_path / "demo.log"
    command = [sys.executable, "-m", "reclaim", "demo", "--out", str(tmp_path / "demo"), "--workers", "1",
               "--serve", "--port", str(port)]
    with log.open("wb") as sink:
        process = subprocess.Popen(command, env=os.environ | {"COLUMNS": "200"}, stdout=sink,
                                   stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 600
        while "sign in as victim" not in log.read_text():
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "the demo did not reach --serve within 10 minutes"
            time.sleep(0.5)
        printed = log.read_text()
        assert f"http://127.0.0.1:{port}/" in printed
        logins = dict(re.findall(r"sign in as \w+: name (\w+) password (\S+)", printed))
        assert set(logins) == {"officer", "victim"}
        base = f"http://127.0.0.1:{port}"
        while True:
            try:
                httpx.get(f"{base}/login").close()
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline and process.poll() is None, log.read_text()
                time.sleep(0.2)

        with closing(_sign_in(base, "officer", logins["officer"])) as officer:
            assert officer.get("/session").json()["role"] == "officer"
            assert "demo-known" in {b["name"] for b in officer.get("/c/banks").json()}  # staff see the banks
        with closing(_sign_in(base, "victim", logins["victim"])) as victim:
            me = victim.get("/session").json()
            assert me["role"] == "victim" and me["case_id"] is not None
            assert victim.get("/c/banks").status_code == 403  # a victim sees their case, not the banks
        with closing(_sign_in(base, "officer", "wrong password")) as stranger:
            assert stranger.get("/session").status_code == 303  # not signed in: sent to the login form
    finally:
        process.terminate()
        process.wait(timeout=30)
