"""SIGKILL ``reclaim scan`` half-way, run it again: it finishes without rehashing, with identical results."""

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from reclaim.synthetic.scenes import jpeg_bytes, scene

N_FILES = 240

pytestmark = pytest.mark.ray_cluster  # Ray tests here and in the next marked module share a cluster (conftest.py)


def hashed_rows(db: Path) -> int:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:  # migrated already: the test's home
        return conn.execute("select count(*) from items").fetchone()[0]


def case_state(cli, case: str) -> list[dict]:  # type: ignore[no-untyped-def]
    """``reclaim case show CASE --json``."""
    shown = cli("case", "show", case, "--json")
    assert shown.code == 0, shown.err
    return shown.json_lines()


ENGINES = {"process": [], "ray": ["--engine", "ray"]}  # the killed run and the rerun use the same engine


@pytest.mark.slow
@pytest.mark.parametrize("engine", list(ENGINES))
def test_killed_scan_resumes_without_rehashing(tmp_path: Path, known_jpeg: Path, engine: str, cli,  # type: ignore[no-untyped-def]
                                                reclaim_home: Path, request: pytest.FixtureRequest,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    cluster = {"RAY_ADDRESS": request.getfixturevalue("ray_cluster")} if engine == "ray" else {}
    folder = tmp_path / "big"
    folder.mkdir()
    bases = [scene(seed=s, size=(320, 240)) for s in range(6)]  # a quarter of the default size: 4 ms a file to hash
    for i in range(N_FILES):  # distinct files cheaply: rolled copies of a few generated scenes
        rolled = Image.fromarray(np.roll(np.asarray(bases[i % 6]), 7 * i, axis=1))
        (folder / f"img_{i:03d}.jpg").write_bytes(jpeg_bytes(rolled, 90))
    (folder / "img_120.jpg").write_bytes(known_jpeg.read_bytes())  # one real match in the middle

    assert cli("bank", "create", "k").code == 0
    assert cli("bank", "add", "k", known_jpeg).code == 0
    clean_home = tmp_path / "clean"
    shutil.copytree(reclaim_home, clean_home)  # the same bank for the clean run

    db = reclaim_home / "reclaim.db"
    # A child (RECLAIM_HOME: the test's home), SIGKILLed with its process group; Ray: a driver that joined a
    # running cluster, which outlives it
    proc = subprocess.Popen([sys.executable, "-m", "reclaim", "scan", folder, "--case", "c", "--workers", "1",
                             *ENGINES[engine]], env={**os.environ, **cluster}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 120
    while hashed_rows(db) < 64 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert proc.poll() is None, "scan finished before it could be killed; make the folder bigger"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    stored_before = hashed_rows(db)
    assert 0 < stored_before < N_FILES

    resumed = cli("scan", folder, "--case", "c", "--json", *ENGINES[engine])  # in this process (Ray: the first driver)
    assert resumed.code == 0, resumed.err
    report = json.loads(resumed.out)
    assert report["reused"] == stored_before
    assert report["hashed"] == N_FILES - stored_before
    assert [m["path"] for m in report["matches"]] == [str(folder / "img_120.jpg")]
    killed_state = case_state(cli, "c")

    monkeypatch.setenv("RECLAIM_HOME", str(clean_home))  # a scan never killed, in this process
    clean = cli("scan", folder, "--case", "c", "--json")
    assert clean.code == 0, clean.err
    assert json.loads(clean.out)["matches"] == report["matches"]
    assert case_state(cli, "c") == killed_state
