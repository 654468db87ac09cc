"""Custody log and vault speed, each against a plain baseline measured in the same run on the same bytes.

    .venv/bin/python bench/evidence.py                    # 10,000 entries, 200 MiB file
    .venv/bin/python bench/evidence.py --entries 1000 --mib 20   # quick look

Custody: 10,000 entries appended in one batch (one fsync, one signature) vs writing the same JSON lines to
a plain file with one fsync; 300 durable single appends (fsync + signed head, each) vs a plain line write +
fsync each; verify_log over the whole log vs json.loads + sha256 of every line.
Vault (production Argon2id parameters): put_file, extract_to and open_stream of one random file vs
shutil.copyfile + fsync and hashlib.sha256 of the same file. Results are printed and appended to bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from hashlib import sha256
from pathlib import Path

from record import Figure, append_section, machine, table

from reclaim.evidence import CustodyLog, KdfParams, SigningKey, Vault, verify_log

SINGLE_APPENDS = 300


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def details(n: int) -> dict[str, object]:
    return {"locator": f"telegram:-1001234567/{n}", "poster": "user123456", "size": 123_456 + n, "n": n}


def bench_custody(folder: Path, entries: int) -> list[list[object]]:
    key = SigningKey.generate()
    log = CustodyLog.create(folder / "custody.jsonl", key, actor="bench")
    shas = [sha256(str(n).encode()).hexdigest() for n in range(entries)]

    def batch() -> None:
        with log.batch() as add:
            for n, sha in enumerate(shas):
                add("bench", "item.acquired", sha, details(n))

    def plain_batch() -> None:
        with open(folder / "plain.jsonl", "ab") as fh:
            for n, sha in enumerate(shas):
                fh.write(json.dumps({"actor": "bench", "sha": sha, "details": details(n)}).encode() + b"\n")
            fh.flush()
            os.fsync(fh.fileno())

    def singles() -> None:
        for n in range(SINGLE_APPENDS):
            log.append("bench", "review.confirmed", shas[n], details(n))

    def plain_singles() -> None:
        with open(folder / "plain-single.jsonl", "ab") as fh:
            for n in range(SINGLE_APPENDS):
                fh.write(json.dumps({"actor": "bench", "sha": shas[n], "details": details(n)}).encode() + b"\n")
                fh.flush()
                os.fsync(fh.fileno())

    def plain_verify() -> None:
        with open(log.path, "rb") as fh:
            for line in fh:
                json.loads(line)
                sha256(line).hexdigest()

    t_batch, t_plain_batch = timed(batch), timed(plain_batch)
    t_single, t_plain_single = timed(singles), timed(plain_singles)
    total = entries + SINGLE_APPENDS + 1
    t_verify, t_plain_verify = timed(lambda: verify_log(log.path, key.public_key)), timed(plain_verify)
    return [
        [f"append {entries:,} in one batch", f"{t_batch:.2f} s", f"{entries / t_batch:,.0f} entries/s",
         "plain JSONL write + 1 fsync", f"{t_plain_batch:.3f} s", f"{t_batch / t_plain_batch:.1f}×"],
        [f"{SINGLE_APPENDS} durable single appends", f"{t_single / SINGLE_APPENDS * 1000:.1f} ms each",
         f"{SINGLE_APPENDS / t_single:,.0f} entries/s", "plain line write + fsync each",
         f"{t_plain_single / SINGLE_APPENDS * 1000:.1f} ms each", f"{t_single / t_plain_single:.1f}×"],
        [f"verify_log, {total:,} entries", f"{t_verify:.2f} s", f"{total / t_verify:,.0f} entries/s",
         "json.loads + sha256 per line", f"{t_plain_verify:.3f} s", f"{t_verify / t_plain_verify:.1f}×"],
    ]


def bench_vault(folder: Path, mib: int) -> list[list[object]]:
    src = folder / "video.bin"
    with open(src, "wb") as fh:
        for _ in range(mib):
            fh.write(os.urandom(1 << 20))
    size = float(mib)

    def copy() -> None:
        shutil.copyfile(src, folder / "copy.bin")
        with open(folder / "copy.bin", "rb+") as fh:
            os.fsync(fh.fileno())

    def hash_only() -> None:
        digest = sha256()
        with open(src, "rb") as fh:
            while block := fh.read(1 << 20):
                digest.update(block)

    t_create = timed(lambda: Vault.create(folder / "vault", "bench passphrase"))
    opened: list[Vault] = []
    t_open = timed(lambda: opened.append(Vault.open(folder / "vault", "bench passphrase")))
    vault = opened[0]
    t_copy, t_hash = timed(copy), timed(hash_only)
    shas: list[str] = []
    t_put = timed(lambda: shas.append(vault.put_file(src)))
    t_extract = timed(lambda: vault.extract_to(shas[0], folder / "out.bin", actor="bench"))

    def stream() -> None:
        with vault.open_stream(shas[0], actor="bench") as reader:
            while reader.read(1 << 20):
                pass

    t_stream = timed(stream)
    argon = KdfParams()
    return [
        [f"put_file {mib} MiB", f"{t_put:.2f} s", f"{size / t_put:,.0f} MiB/s",
         "copyfile + fsync", f"{size / t_copy:,.0f} MiB/s", f"{t_put / t_copy:.1f}×"],
        [f"extract_to {mib} MiB", f"{t_extract:.2f} s", f"{size / t_extract:,.0f} MiB/s",
         "copyfile + fsync", f"{size / t_copy:,.0f} MiB/s", f"{t_extract / t_copy:.1f}×"],
        [f"open_stream read {mib} MiB", f"{t_stream:.2f} s", f"{size / t_stream:,.0f} MiB/s",
         "sha256 of the file", f"{size / t_hash:,.0f} MiB/s", f"{t_stream / t_hash:.1f}×"],
        [f"create / open (Argon2id {argon.memory_kib // 1024} MiB, t={argon.time_cost}, p={argon.parallelism})",
         f"{t_create:.2f} / {t_open:.2f} s", "", "", "", ""],
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--mib", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="reclaim-bench-evidence-") as tmp:
        rows = bench_custody(Path(tmp), args.entries) + bench_vault(Path(tmp), args.mib)
    header = ["operation", "time", "rate", "baseline", "baseline time/rate", "ratio (ours / baseline time)"]
    body = f"{machine()}\n\n{table(header, rows)}"
    print(body)
    size = f"{args.entries:,} entries, {args.mib} MiB file"
    figures = [Figure(f"{row[0]}: ours / baseline time", str(row[5]), "", None, size) for row in rows if row[5]]
    append_section("evidence: custody log and vault (bench/evidence.py)", body, figures)


if __name__ == "__main__":
    main()
