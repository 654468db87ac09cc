"""Scan throughput per engine (local, process, ray) at 2,000 and 20,000 phone-size JPEGs, in one run.

Each run is a real ``scan_source`` into a fresh SQLite case (hashing on the engine, matching and writing on
the driver), with an engine started for it and closed after it, as ``reclaim scan --engine NAME`` does: the
time of a run includes the engine's start-up (``ray.init`` of a local 2-CPU node for Ray) and shutdown, and
the scan alone ("once started") is reported beside it. Baseline: the ``process`` engine at the same size, in
the same run, timed the same way. Targets (issue 11): ray >= 0.8x process (judged here with start-up
included, and reported once started too); cost per item flat from the smallest to the largest size (the ratio
of seconds per item near 1; judged as <= 1.10).

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
from record import Figure, append_section, machine, table

from reclaim.engines import Engine, engine_for
from reclaim.scan.scanner import scan_source
from reclaim.sources import FolderSource
from reclaim.store import open_store

DATA = Path(__file__).resolve().parents[1] / ".bench-data" / "scale"
PHOTOS = 1_000
WORKERS = 2
TARGET_RAY, TARGET_FLAT = 0.8, 1.10


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
    total: dict[tuple[str, int], float] = {}  # start-up + scan + shutdown
    scan: dict[tuple[str, int], float] = {}  # the scan alone, once the engine is up
    start_up: dict[tuple[str, int], float] = {}
    for name in engines:
        for n in sizes:
            start = time.perf_counter()
            engine = make_engine(name)
            start_up[name, n] = time.perf_counter() - start
            with engine:
                scan[name, n] = scan_once(name, folders[n], engine)
            total[name, n] = time.perf_counter() - start
            print(f"{name} {n}: {total[name, n]:.1f} s with start-up {start_up[name, n]:.1f} s "
                  f"({n / total[name, n]:.1f} items/s; scan alone {scan[name, n]:.1f} s)", file=sys.stderr, flush=True)
    rows, figures = [], []
    size = f"{', '.join(f'{n:,}' for n in sizes)} items"
    for name in engines:
        for n in sizes:
            per_item = total[name, n] / n
            flat = per_item / (total[name, sizes[0]] / sizes[0])
            vs = (total["process", n] / total[name, n], scan["process", n] / scan[name, n]) \
                if ("process", n) in total else None
            rows.append([name, f"{n:,}", f"{start_up[name, n]:.1f}", f"{total[name, n]:.1f}",
                         f"{n / total[name, n]:.1f}", f"{per_item * 1e3:.2f}", f"{vs[0]:.2f}" if vs else "n/a",
                         f"{scan[name, n]:.1f}", f"{vs[1]:.2f}" if vs else "n/a", f"{flat:.2f}"])
            if name != "process" and vs:
                figures += [Figure(f"{name} / process items/s at {n:,}, start-up included", f"{vs[0]:.2f}",
                                   f">= {TARGET_RAY}", vs[0] >= TARGET_RAY, size),
                            Figure(f"{name} / process items/s at {n:,}, once started", f"{vs[1]:.2f}",
                                   f">= {TARGET_RAY}", vs[1] >= TARGET_RAY, size)]
        if len(sizes) > 1:
            flat = (total[name, sizes[-1]] / sizes[-1]) / (total[name, sizes[0]] / sizes[0])
            figures.append(Figure(f"{name}: cost per item, {sizes[-1]:,} vs {sizes[0]:,} items", f"{flat:.2f}",
                                  f"<= {TARGET_FLAT}", flat <= TARGET_FLAT, size))
    body = (
        f"Phone-size JPEGs (1-3 MP; {PHOTOS:,} generated photos, hard-linked up to each size), `scan_source` into "
        f"a fresh SQLite case, {WORKERS} workers; each run starts its own engine and closes it (as `reclaim scan "
        f"--engine` does), and its time includes both; {machine()}.\n\n"
        + table(["engine", "items", "start-up (s)", "seconds (with start-up)", "items/s", "ms per item",
                 "vs process (x)", "scan alone (s)", "vs process once started (x)",
                 f"per-item cost vs {sizes[0]:,}"], rows)
    )
    print(body)
    if not args.no_append:
        append_section("Scan throughput per engine, start-up included (bench/scale.py)", body, figures)


if __name__ == "__main__":
    main()
