"""``reclaim scan --engine local|process|ray``: the same results in the database whichever engine hashed the
files, and a worker that dies mid-chunk costs retries, never items or duplicates."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reclaim.engines import faults

pytestmark = pytest.mark.ray_cluster  # Ray tests here and in the next marked module share a cluster (conftest.py)


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
