"""Scan throughput per engine (local, process, ray) at 2,000 and 20,000 phone-size JPEGs, in one run.

Each run is a real ``scan_source`` into a fresh SQLite case (hashing on the engine, matching and writing on
the driver), so items/s is what a user gets. Ray's start-up (``ray.init`` of a local 2-CPU node) is timed
apart from its scans, which reuse the one node. Baseline: the ``process`` engine at the same size, in the
same run. Targets (issue 11): ray >= 0.8x process once started; cost per item flat from 2 k to 20 k items
(the ratio of seconds per item, 20 k over 2 k, near 1).

Photos: bench/hash.py's generated phone-size set (1-3 MP, made once into .bench-data/hash/phone). The
20,000-item folder holds hard links to them, so it costs no disk; every link is a separate item to the scan.

    .venv/bin/python bench/scale.py [--sizes 2000,20000] [--engines local,process,ray] [--no-append]
    .venv/bin/python bench/scale.py --engines process,ray-data      # Ray Data instead of tasks (ray[data])
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from pathlib import Path

from hash import DATA as HASH_DATA
from hash import DATASETS, make_photo
from record import append_section, machine, table

from reclaim.engines import Engine, engine_for
from reclaim.scan.scanner import scan_source
from reclaim.sources import FolderSource
from reclaim.store import open_store

DATA = Path(__file__).resolve().parents[1] / ".bench-data" / "scale"
PHOTOS = 1_000
WORKERS = 2


class RayDataEngine(Engine):  # type: ignore[type-arg]
    """Ray Data's ``map_batches`` over the same chunks, to choose between it and Ray tasks by measurement.

    Bench-only (needs ``ray[data]``): Ray Data plans a whole dataset, so the chunks are gathered up front
    instead of streaming from the scan as they are settled.
    """

    name = "ray-data"

    def __init__(self, workers: int) -> None:
        import ray

        if not ray.is_initialized():
            ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False, logging_level="ERROR")

    def run(self, fn, chunks):  # type: ignore[no-untyped-def]
        import ray

        jobs = list(chunks)

        def hash_batch(batch: dict) -> dict:  # type: ignore[type-arg]
            return {"index": batch["index"], "out": [fn(jobs_of[int(i)]) for i in batch["index"]]}

        jobs_of = jobs
        ds = ray.data.from_items([{"index": i} for i in range(len(jobs))]).map_batches(hash_batch, batch_size=1)
        for row in ds.iter_rows():
            yield jobs[int(row["index"])], list(row["out"])

    def close(self) -> None:
        import ray

        ray.shutdown()


def make_engine(name: str) -> Engine:  # type: ignore[type-arg]
    return RayDataEngine(WORKERS) if name == "ray-data" else engine_for(name, workers=WORKERS)


def photos() -> list[Path]:
    """The generated phone-size photos (made here if bench/hash.py has not made them yet)."""
    folder = HASH_DATA / "phone"
    folder.mkdir(parents=True, exist_ok=True)
    phone = next(d for d in DATASETS if d.name == "phone")
    paths = []
    for i in range(PHOTOS):
        path = folder / f"{i:05d}.jpg"
        if not path.exists():
            path.write_bytes(make_photo(i, phone.size(i)))
        paths.append(path)
    return paths


def folder_of(n: int, sources: list[Path]) -> Path:
    folder = DATA / f"items-{n}"
    if folder.exists() and len(list(folder.iterdir())) == n:
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for i in range(n):
        os.link(sources[i % len(sources)], folder / f"{i:06d}.jpg")
    return folder


def scan_once(engine_name: str, folder: Path, engine: object | None) -> float:
    """Seconds for one full scan of ``folder`` into a fresh database."""
    db = DATA / f"scan-{engine_name}.db"
    db.unlink(missing_ok=True)
    with open_store(f"sqlite:///{db}") as store:
        start = time.perf_counter()
        report = scan_source(store, "bench", FolderSource(str(folder)), workers=WORKERS, engine=engine)  # type: ignore[arg-type]
        seconds = time.perf_counter() - start
    assert report.hashed == report.items and not report.failed, (report.items, report.hashed, report.failed[:3])
    db.unlink(missing_ok=True)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="2000,20000")
    parser.add_argument("--engines", default="local,process,ray")
    parser.add_argument("--no-append", action="store_true")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    engines = args.engines.split(",")
    sources = photos()
    folders = {n: folder_of(n, sources) for n in sizes}
    seconds: dict[tuple[str, int], float] = {}
    ray_start = None
    for name in engines:
        start = time.perf_counter()
        engine = make_engine(name)
        if name in ("ray", "ray-data"):
            ray_start = time.perf_counter() - start
        with engine:
            for n in sizes:
                seconds[name, n] = scan_once(name, folders[n], engine)
                print(f"{name} {n}: {seconds[name, n]:.1f} s ({n / seconds[name, n]:.1f} items/s)",
                      file=sys.stderr, flush=True)
    rows = []
    for name in engines:
        for n in sizes:
            per_item = seconds[name, n] / n
            vs_process = seconds["process", n] / seconds[name, n] if ("process", n) in seconds else None
            flat = per_item / (seconds[name, sizes[0]] / sizes[0])
            rows.append([name, f"{n:,}", f"{seconds[name, n]:.1f}", f"{n / seconds[name, n]:.1f}",
                         f"{per_item * 1e3:.2f}", f"{vs_process:.2f}" if vs_process else "n/a", f"{flat:.2f}"])
    body = (
        f"Phone-size JPEGs (1-3 MP; {PHOTOS:,} generated photos, hard-linked up to each size), `scan_source` into "
        f"a fresh SQLite case, {WORKERS} workers; {machine()}.\n"
        + (f"Ray start-up (local node, {WORKERS} CPUs), not in the scan times: {ray_start:.1f} s.\n"
           if ray_start is not None else "")
        + "\n" + table(["engine", "items", "seconds", "items/s", "ms per item", "vs process (x)",
                        f"per-item cost vs {sizes[0]:,}"], rows)
    )
    print(body)
    if not args.no_append:
        append_section("Scan throughput per engine (bench/scale.py)", body)


if __name__ == "__main__":
    main()
