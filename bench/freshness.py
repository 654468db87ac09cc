"""How long a bank change takes to reach another worker: add a hash through server A, then ask server B until it
matches; withdraw it through A, then ask B until it no longer does. Target (issue 10): within 1 s.

    .venv/bin/python bench/freshness.py               # 1 M hashes against a 1,000-hash baseline
    .venv/bin/python bench/freshness.py --n 100000

A and B are two ``reclaim serve --workers 1`` processes on the same SQLite database (what two workers of one
server are, but each reachable on its own port, so "the other worker" is certain). Each bank is the one
bench/server.py fills (.bench-data/server/, reused, copied for the run). B is asked every 10 ms over a
keep-alive connection; a round is one add and one withdrawal of a new random hash. Rounds are 0.3-0.7 s apart
at random (fixed gaps would fall in step with the workers' 0.25 s poll), except every fifth, which follows
the previous one at once (a change arriving while the previous one is still being checked). The baseline is
the same measurement on a 1,000-hash bank in the same run: the poll interval and HTTP alone.
Results are printed and appended to bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np
from record import Figure, append_section, machine, table
from server import Server, api_key, bank, server_env

TARGET_SECONDS = 1.0
BASELINE_N = 1_000
GIVE_UP_SECONDS = 10.0


def _seen(reader: httpx.Client, signal: str, expected: list[str]) -> float:
    """Seconds until ``reader`` answers ``expected`` for ``signal``."""
    start = time.perf_counter()
    while True:
        answer = reader.get("/api/v1/m/raw_lookup", params={"signal_type": "pdq", "signal": signal})
        answer.raise_for_status()
        if answer.json()["matches"] == expected:
            return time.perf_counter() - start
        if time.perf_counter() - start > GIVE_UP_SECONDS:
            raise SystemExit(f"worker B still answers {answer.json()} after {GIVE_UP_SECONDS:g} s")
        time.sleep(0.01)


def measure(filled: Path, rounds: int, home: Path) -> tuple[list[float], list[float]]:
    """(add latencies, withdrawal latencies) in seconds, from A's answer to B's first right answer, on a copy of
    the ``filled`` database (bench/server.py's stays as it is; the copy's PDQ cache is built at start)."""
    db = home / filled.name
    shutil.copyfile(filled, db)
    env = server_env(db, home)
    key = api_key(env, ("lookup", "bank:write"))
    servers = [Server(env, 1, home / f"serve-{name}.log") for name in "ab"]
    rng = np.random.default_rng(int(time.time()))
    adds, withdrawals = [], []
    try:
        for server in servers:
            server.wait_ready()
        headers = {"Authorization": f"Bearer {key}"}
        with (httpx.Client(base_url=servers[0].base, headers=headers, timeout=30) as writer,
              httpx.Client(base_url=servers[1].base, headers=headers, timeout=30) as reader):
            warm = rng.integers(0, 256, 32, dtype=np.uint8).tobytes().hex()
            for client in (writer, reader):  # each worker opens its index before the clock starts
                client.get("/api/v1/m/raw_lookup", params={"signal_type": "pdq", "signal": warm}).raise_for_status()
            for k in range(rounds):
                signal = rng.integers(0, 256, 32, dtype=np.uint8).tobytes().hex()
                content_id = f"fresh-{time.time_ns()}"
                writer.post("/api/v1/c/bank/big/signal", params={"content_id": content_id},
                            json={"pdq": signal}).raise_for_status()
                adds.append(_seen(reader, signal, [content_id]))
                writer.delete(f"/api/v1/c/bank/big/content/{content_id}").raise_for_status()
                withdrawals.append(_seen(reader, signal, []))
                if k % 5 != 4:
                    time.sleep(rng.uniform(0.3, 0.7))
    finally:
        for server in servers:
            server.stop()
    return adds, withdrawals


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=1_000_000, help="PDQ hashes in the bank")
    parser.add_argument("--rounds", type=int, default=20, help="adds (and as many withdrawals) per bank")
    parser.add_argument("--no-record", action="store_true", help="print only; don't append to RESULTS.md")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="reclaim-bench-fresh-") as tmp:
        for n in (BASELINE_N, args.n):
            adds, withdrawals = measure(bank(n, fresh=False), args.rounds, Path(tmp))
            rows.append((n, adds, withdrawals))
            print(f"{n:,} hashes: add seen in p50 {np.median(adds):.3f} s, max {max(adds):.3f} s; withdrawal "
                  f"gone in p50 {np.median(withdrawals):.3f} s, max {max(withdrawals):.3f} s", file=sys.stderr)
    base = max(max(rows[0][1]), max(rows[0][2]))
    lines = [[f"{n:,}" + (" (baseline)" if k == 0 else ""), f"{np.median(a):.3f}", f"{max(a):.3f}",
              f"{np.median(w):.3f}", f"{max(w):.3f}", f"{max(max(a), max(w)) / base:.2f}"]
             for k, (n, a, w) in enumerate(rows)]
    body = (f"Two `reclaim serve --workers 1` processes (A, B) on one SQLite database; {args.rounds} rounds per "
            f"bank: add a new hash through A (`POST /api/v1/c/bank/big/signal`), ask B every 10 ms until it matches, "
            f"withdraw it through A, ask B until it does not; rounds 0.3-0.7 s apart at random, every fifth "
            f"right after the previous. "
            f"Target: within {TARGET_SECONDS:g} s. {machine()}.\n\n"
            + table(["bank hashes", "add seen p50 (s)", "add seen max (s)", "withdrawal gone p50 (s)",
                     "withdrawal gone max (s)", "worst vs baseline"], lines))
    print(body)
    if not args.no_record:
        _, adds, withdrawals = rows[-1]
        worst = max(max(adds), max(withdrawals))
        size = f"{args.n:,} hashes, {args.rounds} rounds"
        figures = [Figure("change seen by another worker, worst of adds and withdrawals (s)",
                          f"{worst:.2f} (p50 add {np.median(adds):.2f}, withdrawal {np.median(withdrawals):.2f})",
                          f"<= {TARGET_SECONDS:g}", worst <= TARGET_SECONDS, size)]
        append_section(f"Bank changes seen by another worker, {args.n:,}-hash bank (bench/freshness.py)", body,
                       figures)


if __name__ == "__main__":
    main()
