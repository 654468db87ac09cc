"""``reclaim scan --engine local|process|ray``: the same results in the database whichever engine hashed the
files, a worker that dies mid-chunk costs retries, never items or duplicates, and a scan SIGKILLed half-way
finishes when run again without rehashing, with identical results. One module, so that its Ray tests run in one
test process, one after the other, on one local cluster (each start costs 10-30 s)."""

from __future__ import annotations

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

from reclaim.engines import faults
from reclaim.synthetic.scenes import jpeg_bytes, scene

pytestmark = pytest.mark.ray_cluster  # the Ray tests here share one cluster (conftest.py)
N_FILES = 240  # the resumed scan's folder


@pytest.fixture
def engine_ready(request: pytest.FixtureRequest) -> None:
    if request.node.callspec.params.get("engine") == "ray":
        request.getfixturevalue("ray_cluster")


def stored(cli, case: str) -> list[dict]:  # type: ignore[no-untyped-def]
    """The case's items as ``case show --all --json`` prints them, minus what differs per scan."""
    result = cli("case", "show", case, "--all", "--json")
    assert result.code == 0, result.err
    items = [json.loads(line) for line in result.out.splitlines()]
    return sorted(({k: v for k, v in item.items() if k != "context"} for item in items), key=lambda i: i["path"])


def bank_some(cli, paths: list[Path]) -> None:  # type: ignore[no-untyped-def]
    assert cli("bank", "create", "known").code == 0
    assert cli("bank", "add", "known", *paths).code == 0


def scan_with_each(cli, folder: Path, engines: tuple[str, ...]) -> list[list[dict]]:  # type: ignore[no-untyped-def]
    for engine in engines:
        result = cli("scan", folder, "--case", f"by-{engine}", "--engine", engine, "--workers", "2")
        assert result.code == 0, result.err
    return [stored(cli, f"by-{engine}") for engine in engines]


def test_local_and_process_engines_store_the_same(cli, tmp_path: Path, make_images) -> None:  # type: ignore[no-untyped-def]
    paths = make_images(tmp_path / "folder", 120)
    bank_some(cli, paths[::10])
    local, process = scan_with_each(cli, tmp_path / "folder", ("local", "process"))
    assert len(local) == 120 and sum(bool(i["matches"]) for i in local) == 12
    assert process == local


@pytest.mark.slow
def test_ray_stores_what_the_local_and_process_engines_store(
    cli, tmp_path: Path, ray_cluster: str, make_images  # type: ignore[no-untyped-def]
) -> None:
    paths = make_images(tmp_path / "folder", 2000)
    bank_some(cli, paths[::100])
    local, process, ray = scan_with_each(cli, tmp_path / "folder", ("local", "process", "ray"))
    assert len(local) == 2000 and sum(bool(i["matches"]) for i in local) == 20
    assert process == local
    assert ray == local


@pytest.mark.parametrize("engine", ("process", pytest.param("ray", marks=pytest.mark.slow)))
def test_a_worker_killed_once_mid_chunk_costs_a_retry_not_an_item(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, engine: str, engine_ready: None, make_images  # type: ignore[no-untyped-def]
) -> None:
    make_images(tmp_path / "folder", 40)
    monkeypatch.setenv(faults.CRASH_ON, "img_00013.jpg,img_00031.jpg")
    monkeypatch.setenv(faults.ONCE_DIR, str(tmp_path))
    result = cli("scan", tmp_path / "folder", "--case", "c", "--engine", engine, "--workers", "2", "--json")
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert (report["items"], report["hashed"], report["failed"]) == (40, 40, [])
    assert sorted(p.name for p in tmp_path.glob("*.crashed")) == ["img_00013.jpg.crashed", "img_00031.jpg.crashed"]
    items = stored(cli, "c")
    assert len(items) == len({i["path"] for i in items}) == 40
    assert all(i["status"] == "hashed" and i["pdq"] for i in items)


@pytest.mark.parametrize("engine", ("process", pytest.param("ray", marks=pytest.mark.slow)))
def test_an_item_that_always_kills_its_worker_is_recorded_and_the_scan_finishes(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, engine: str, engine_ready: None, make_images  # type: ignore[no-untyped-def]
) -> None:
    make_images(tmp_path / "folder", 24)
    monkeypatch.setenv(faults.CRASH_ON, "img_00007.jpg")
    result = cli("scan", tmp_path / "folder", "--case", "c", "--engine", engine, "--workers", "2", "--json")
    assert result.code == 1
    report = json.loads(result.out)
    assert report["hashed"] == 24
    assert [(Path(f["path"]).name, f["error"]) for f in report["failed"]] == [
        ("img_00007.jpg", f"{tmp_path / 'folder' / 'img_00007.jpg'}: the decoder crashed on this file")
    ]
    items = stored(cli, "c")
    assert sum(i["status"] == "hashed" for i in items) == 23 and len(items) == 24


def test_an_address_without_ray_engine_is_refused(cli, tmp_path: Path, make_images) -> None:  # type: ignore[no-untyped-def]
    make_images(tmp_path / "folder", 1)
    result = cli("scan", tmp_path / "folder", "--case", "c", "--address", "ray://10.0.0.1:10001")
    assert result.code == 2 and "--address is for --engine ray" in result.err


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
