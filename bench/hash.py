"""Hashing throughput: reclaim (fast decode path) against plain Pillow + pdqhash, on the same cores.

Two generated folders of photo-like JPEGs (q90, sensor-like noise, some with an EXIF orientation tag):
``--n`` at 12 megapixels (4000x3000) and ``--n`` phone-size ones (1-3 MP, mixed sizes and orientations). On the
first ``--baseline-n`` files of each, in the same run: reclaim's ``hash_files`` (sha256 + md5 + PDQ, fast path)
with ``--workers`` processes and with 1, and the baseline — Pillow full decode, EXIF transpose, RGB,
``pdqhash.compute`` — with ``--workers`` processes and with 1. Ratios compare equal cores only (reclaim on 2
workers against the baseline on 2 processes, 1 against 1); each side's pool start-up is in its time. reclaim
over the whole folder is reported too. The baseline's hashes are exactly reclaim's full-resolution ones
(tests/unit/signals/test_pdq.py), so the same files also give the distribution of fast-path vs
full-resolution distances. Targets (issue 3): >= 10x on 12 MP, >= 3x on phone size (judged here on equal cores).

Files are generated once into .bench-data/hash/ (gitignored) and reused.

    .venv/bin/python bench/hash.py [--n 1000] [--baseline-n 100] [--workers 2] [--no-append]
"""

from __future__ import annotations

import argparse
import io
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pdqhash
from PIL import Image, ImageOps
from record import Figure, append_section, machine, table

from reclaim.hashing import FileHashes, hash_files
from reclaim.signals.pdq import hamming
from reclaim.synthetic.scenes import composite, sample_faces

DATA = Path(__file__).resolve().parents[1] / ".bench-data" / "hash"
PHONE_SIZES = [(1200, 900), (1280, 960), (1440, 1080), (1600, 1200), (1920, 1080), (1080, 1920), (2000, 1500),
               (1500, 2000), (1224, 1632), (1080, 1350)]
_faces: list[Image.Image] = []


@dataclass(frozen=True)
class DataSet:
    name: str
    size: Callable[[int], tuple[int, int]]  # file index -> (width, height) as stored
    target: float


DATASETS = [
    DataSet("12mp", lambda i: (4000, 3000), 10.0),
    DataSet("phone", lambda i: PHONE_SIZES[i % len(PHONE_SIZES)], 3.0),
]


def make_photo(index: int, size: tuple[int, int]) -> bytes:
    """A benign photo stand-in: a face pasted on a scene, upscaled, with per-pixel noise for texture.
    Every fourth is stored sideways with EXIF orientation 6, as phones store portrait shots."""
    if not _faces:
        _faces.extend(sample_faces().values())
    w, h = size
    turned = index % 4 == 3
    if turned:
        w, h = h, w  # the upright picture; stored rotated below
    base = composite(_faces[index % 2], seed=index, size=(640, 480) if w >= h else (480, 640))
    pixels = np.asarray(base.resize((w, h), Image.BICUBIC)).astype(np.int16)
    pixels += np.random.default_rng(index).integers(-10, 11, (h, w, 1), dtype=np.int16)
    image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    exif = Image.Exif()
    if turned:
        image = image.transpose(Image.Transpose.ROTATE_90)
        exif[0x0112] = 6
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=90, exif=exif)
    return buf.getvalue()


def _generate(job: tuple[Path, int, tuple[int, int]]) -> None:
    path, index, size = job
    partial = path.with_suffix(".part")
    partial.write_bytes(make_photo(index, size))
    partial.rename(path)  # a run interrupted mid-file leaves no half-written JPEG behind


def ensure_files(dataset: DataSet, n: int, workers: int) -> list[Path]:
    folder = DATA / dataset.name
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"{i:05d}.jpg" for i in range(n)]
    missing = [(p, i, dataset.size(i)) for i, p in enumerate(paths) if not p.exists()]
    if missing:
        print(f"generating {len(missing)} {dataset.name} JPEGs into {folder} (once) ...", flush=True)
        with ProcessPoolExecutor(workers) as pool:
            list(pool.map(_generate, missing, chunksize=4))
    return paths


def baseline_hash(path: Path) -> tuple[str, int]:
    """What a plain script does: decode every pixel with Pillow, upright it, hash with pdqhash."""
    with Image.open(path) as image:
        rgb = np.asarray(ImageOps.exif_transpose(image).convert("RGB"))
    bits, quality = pdqhash.compute(rgb)
    return np.packbits(bits.astype(np.uint8)).tobytes().hex(), int(quality)


def timed(call: Callable[[], object]) -> tuple[object, float]:
    started = time.perf_counter()
    result = call()
    return result, time.perf_counter() - started


def spread(values: list[int]) -> str:
    a = np.array(values)
    return f"{a.min()} / {np.median(a):g} / {np.percentile(a, 95):g} / {a.max()}"


def baseline_pool(paths: list[Path], workers: int) -> list[tuple[str, int]]:
    """The baseline on ``workers`` processes (pool start-up included), so it has the cores reclaim has."""
    if workers == 1:
        return [baseline_hash(p) for p in paths]
    with ProcessPoolExecutor(workers) as pool:
        return list(pool.map(baseline_hash, paths, chunksize=1))


def run(dataset: DataSet, n: int, baseline_n: int, workers: int) -> tuple[list[str], list[Figure]]:
    paths = ensure_files(dataset, n, workers)
    megabytes = sum(p.stat().st_size for p in paths) / 1e6
    outcomes, all_s = timed(lambda: list(hash_files(paths, workers=workers, fast=True)))
    failures = [o for o in outcomes if not isinstance(o, FileHashes)]
    if failures:
        raise SystemExit(f"{len(failures)} files failed to hash, e.g. {failures[0]}")
    fast = {o.path: o.get("pdq") for o in outcomes}
    subset = paths[:baseline_n]
    k = len(subset)
    _, ours_s = timed(lambda: list(hash_files(subset, workers=workers, fast=True)))
    _, one_s = timed(lambda: list(hash_files(subset, workers=1, fast=True)))
    full, base_s = timed(lambda: baseline_pool(subset, workers))
    _, base_one_s = timed(lambda: baseline_pool(subset, 1))
    ratio, ratio_one = base_s / ours_s, base_one_s / one_s
    distances = [hamming(fast[p].value, h) for p, (h, _) in zip(subset, full, strict=True)]
    quality = [abs(fast[p].quality - q) for p, (_, q) in zip(subset, full, strict=True)]
    print(f"{dataset.name}: on {k} files, reclaim {k / ours_s:.1f} files/s on {workers} workers vs baseline "
          f"{k / base_s:.2f} on {workers} processes ({ratio:.1f}x); 1 vs 1: {k / one_s:.1f} vs {k / base_one_s:.2f} "
          f"({ratio_one:.1f}x) (target {dataset.target:g}x); whole folder {n / all_s:.1f} files/s; fast vs full "
          f"distance min/median/p95/max {spread(distances)}, |quality diff| {spread(quality)}", flush=True)
    met = ratio >= dataset.target
    row = [dataset.name, f"{n} ({megabytes / n:.1f} MB avg)", f"{n / all_s:.1f}", f"{k / ours_s:.1f}",
           f"{k / base_s:.2f}", f"**{ratio:.1f}x**", f"{k / one_s:.1f}", f"{k / base_one_s:.2f}",
           f"{ratio_one:.1f}x", f"{dataset.target:g}x {'met' if met else 'NOT met'}", spread(distances),
           spread(quality)]
    size = f"{k} files ({n} for the folder rate)"
    figures = [
        Figure(f"{dataset.name}: reclaim / baseline, {workers} workers each", f"{ratio:.1f}x",
               f">= {dataset.target:g}x", met, size),
        Figure(f"{dataset.name}: reclaim / baseline, 1 process each", f"{ratio_one:.1f}x",
               f">= {dataset.target:g}x", ratio_one >= dataset.target, size),
        Figure(f"{dataset.name}: reclaim files/s, {workers} workers", f"{k / ours_s:.1f}", "", None, size),
    ]
    return row, figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1000, help="files per folder (default 1000)")
    parser.add_argument("--baseline-n", type=int, default=100, help="files the baseline hashes (default 100)")
    parser.add_argument("--workers", type=int, default=2, help="reclaim's processes (default 2)")
    parser.add_argument("--no-append", action="store_true", help="print only; do not append to bench/RESULTS.md")
    args = parser.parse_args()
    baseline_n = min(args.baseline_n, args.n)
    host = machine()  # before we load the machine ourselves

    runs = [run(dataset, args.n, baseline_n, args.workers) for dataset in DATASETS]
    rows = [row for row, _ in runs]
    w = args.workers
    body = "\n\n".join([
        f"Generated photo-like JPEGs (q90, noise, every 4th stored sideways with EXIF orientation 6), {args.n} per "
        f"set. reclaim = `hash_files(fast=True)`: sha256 + md5 + PDQ per file. Baseline = Pillow full decode + "
        f"exif_transpose + RGB + `pdqhash.compute`, PDQ only. Both timed on the first {baseline_n} files with "
        f"{w} processes and with 1 (equal cores; pool start-up included on both sides). {host} at the start "
        f"(shared with other jobs; expect noise). Distances: reclaim's fast path vs the baseline (= full "
        f"resolution), over the baseline's files, min / median / p95 / max.",
        table(["set", "files", f"reclaim files/s, whole folder ({w} workers)", f"reclaim files/s ({w} workers)",
               f"baseline files/s ({w} processes)", f"ratio ({w} vs {w})", "reclaim files/s (1)",
               "baseline files/s (1)", "ratio (1 vs 1)", "target", "fast vs full distance",
               "quality diff (abs)"], rows),
    ])
    print(body)
    if not args.no_append:
        append_section("bench/hash.py (hashing throughput, fast path vs full resolution, equal cores)", body,
                       [f for _, figures in runs for f in figures])


if __name__ == "__main__":
    main()
