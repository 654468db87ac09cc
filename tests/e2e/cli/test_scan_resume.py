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


def reclaim(*args: str | Path, env: dict) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "reclaim", *map(str, args)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)


def hashed_rows(db: Path) -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
            return conn.execute("select count(*) from items").fetchone()[0]
    except sqlite3.OperationalError:
        return 0  # not created or migrated yet


def case_state(cli, monkeypatch: pytest.MonkeyPatch, env: dict, case: str) -> list[dict]:  # type: ignore[no-untyped-def]
    """``reclaim case show CASE --json`` in this process (a child costs seconds of imports) on ``env``'s home."""
    monkeypatch.setenv("RECLAIM_HOME", env["RECLAIM_HOME"])
    shown = cli("case", "show", case, "--json")
    assert shown.code == 0, shown.err
    return shown.json_lines()


ENGINES = {"process": [], "ray": ["--engine", "ray"]}  # the killed run and the rerun use the same engine


@pytest.mark.slow
@pytest.mark.parametrize("engine", list(ENGINES))
def test_killed_scan_resumes_without_rehashing(tmp_path: Path, known_jpeg: Path, engine: str, cli,  # type: ignore[no-untyped-def]
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    if engine == "ray":
        pytest.importorskip("ray", reason="needs reclaim[ray]")
    folder = tmp_path / "big"
    folder.mkdir()
    bases = [scene(seed=s) for s in range(6)]
    for i in range(N_FILES):  # distinct files cheaply: rolled copies of a few generated scenes
        rolled = Image.fromarray(np.roll(np.asarray(bases[i % 6]), 7 * i, axis=1))
        (folder / f"img_{i:03d}.jpg").write_bytes(jpeg_bytes(rolled, 90))
    (folder / "img_120.jpg").write_bytes(known_jpeg.read_bytes())  # one real match in the middle

    def env_for(name: str) -> dict:
        home = tmp_path / name
        return {**os.environ, "RECLAIM_HOME": str(home)}

    killed_env, clean_env = env_for("killed"), env_for("clean")
    subprocess.run([sys.executable, "-m", "reclaim", "bank", "create", "k"], env=killed_env, check=True)
    subprocess.run([sys.executable, "-m", "reclaim", "bank", "add", "k", known_jpeg], env=killed_env, check=True,
                   capture_output=True)
    shutil.copytree(killed_env["RECLAIM_HOME"], clean_env["RECLAIM_HOME"])  # the same bank, two CLI runs fewer

    db = Path(killed_env["RECLAIM_HOME"]) / "reclaim.db"
    # SIGKILL to the process group: with Ray, the local cluster the driver started dies with it
    proc = subprocess.Popen([sys.executable, "-m", "reclaim", "scan", folder, "--case", "c", "--workers", "1",
                             *ENGINES[engine]], env=killed_env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 120
    while hashed_rows(db) < 64 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert proc.poll() is None, "scan finished before it could be killed; make the folder bigger"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    stored_before = hashed_rows(db)
    assert 0 < stored_before < N_FILES

    resumed = reclaim("scan", folder, "--case", "c", "--json", *ENGINES[engine], env=killed_env)
    out, err = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, err
    report = json.loads(out)
    assert report["reused"] == stored_before
    assert report["hashed"] == N_FILES - stored_before

    clean = reclaim("scan", folder, "--case", "c", "--json", env=clean_env)
    clean_out, _ = clean.communicate(timeout=300)
    assert json.loads(clean_out)["matches"] == report["matches"]
    assert [m["path"] for m in report["matches"]] == [str(folder / "img_120.jpg")]
    assert case_state(cli, monkeypatch, killed_env, "c") == case_state(cli, monkeypatch, clean_env, "c")
