"""How long a command takes to open the banks' PDQ index: cold (no cache: every hash read and indexed) against
warm (the on-disk cache, checked against the database by a diff), and after 1,000 new hashes and 1,000
withdrawals. Baseline: the cold open, measured in the same run on the same database.

    .venv/bin/python bench/bank_open.py               # N = 1 M PDQ hashes in one SQLite bank
    .venv/bin/python bench/bank_open.py --n 10000000  # the issue's 10 M (the database takes a while to fill)

Each open runs in a fresh subprocess: imports, ``Matcher.from_store`` and the first query, each timed; the
headline is open + first query (a command's first match waits for both), and the whole subprocess's wall time
(interpreter start and imports too) is reported beside it. Nothing is shared in memory between opens.
Results are printed and appended to bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from record import Figure, append_section, machine, table

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / ".bench-data" / "bank-open"
CHUNK = 100_000
CHANGES = 1_000


def fill(url: str, n: int) -> None:
    """One bank of ``n`` random PDQ hashes, inserted in bulk (the ORM would take many minutes at 10 M)."""
    from sqlalchemy import insert

    from reclaim.banks import create_bank
    from reclaim.store import open_store
    from reclaim.store.models import BankContent, ContentSignal

    rng = np.random.default_rng(1)
    with open_store(url) as store, store.session() as s:
        bank_id = create_bank(s, "big").id
        for start in range(0, n, CHUNK):
            count = min(CHUNK, n - start)
            codes = rng.integers(0, 256, (count, 32), dtype=np.uint8)
            s.execute(insert(BankContent), [{"id": start + k + 1, "bank_id": bank_id, "content_id": f"c{start + k}",
                                             "note": ""} for k in range(count)])
            s.execute(insert(ContentSignal), [{"content_pk": start + k + 1, "signal": "pdq", "version": "1",
                                               "value": codes[k].tobytes().hex(), "quality": 100}
                                              for k in range(count)])
            print(f"  filled {start + count:,} / {n:,}", file=sys.stderr, flush=True)


def change(url: str, n: int) -> None:
    """Add CHANGES new hashes and withdraw CHANGES old ones."""
    from reclaim.banks import add_content, get_bank, withdraw_content
    from reclaim.models import SignalValue
    from reclaim.store import open_store

    rng = np.random.default_rng(2)
    with open_store(url) as store, store.session() as s:
        bank = get_bank(s, "big")
        for k in range(CHANGES):
            value = bytes(rng.integers(0, 256, 32, dtype=np.uint8)).hex()
            add_content(s, bank, f"new{k}", [SignalValue("pdq", "1", value, 100)])
        for k in rng.choice(n, CHANGES, replace=False):
            withdraw_content(s, "big", f"c{k}")


def open_once(url: str) -> dict[str, float]:
    """Time the imports, ``Matcher.from_store`` and the first match in this (fresh) process."""
    t = time.perf_counter()
    import psutil

    from reclaim.matching.matcher import Matcher
    from reclaim.models import SignalValue
    from reclaim.store import open_store

    imports = time.perf_counter() - t
    with open_store(url) as store:
        rss0 = psutil.Process().memory_info().rss
        t = time.perf_counter()
        with store.session() as s:
            matcher = Matcher.from_store(s)
        opened = time.perf_counter() - t
        t = time.perf_counter()
        matcher.match([SignalValue("pdq", "1", "0" * 64, 100)])
        query = time.perf_counter() - t
        return {"imports_s": imports, "open_s": opened, "query_ms": query * 1e3, "hashes": len(matcher),
                "rss_mb": (psutil.Process().memory_info().rss - rss0) / 2**20}


def numba_caches() -> set[Path]:
    """Numba's compiled kernels on disk (``cache=True``): a file new after an open means that open compiled one."""
    import reclaim

    return set(Path(reclaim.__file__).parent.rglob("*.nbc"))


def run(url: str) -> dict[str, float]:
    before = numba_caches()
    t = time.perf_counter()
    out = subprocess.run([sys.executable, __file__, "--open", url], capture_output=True, text=True, check=True)
    result = json.loads(out.stdout)
    result["compiled"] = len(numba_caches() - before)
    result["process_s"] = time.perf_counter() - t
    result["first_match_s"] = result["open_s"] + result["query_ms"] / 1e3
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--open", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.open:
        print(json.dumps(open_once(args.open)))
        return
    DATA.mkdir(parents=True, exist_ok=True)
    db = DATA / f"bank-{args.n}.db"
    for old in [db, *DATA.glob("cache/*")]:
        old.unlink(missing_ok=True)
    url = f"sqlite:///{db}"
    t = time.perf_counter()
    fill(url, args.n)
    print(f"filled {args.n:,} hashes in {time.perf_counter() - t:.0f} s", file=sys.stderr)
    cold = run(url)
    warm = run(url)
    change(url, args.n)
    diffed = run(url)
    rows = [[name, f"{r['open_s']:.2f}", f"{r['query_ms']:.1f}", f"**{r['first_match_s']:.2f}**",
             f"{r['first_match_s'] / cold['first_match_s']:.3f}", f"{r['imports_s']:.2f}", f"{r['process_s']:.2f}",
             f"{r['compiled']}", f"{r['hashes']:,}", f"{r['rss_mb']:.0f}"]
            for name, r in (("cold (no cache, baseline)", cold), ("warm (cache)", warm),
                            (f"warm after {CHANGES:,} adds + {CHANGES:,} withdrawals", diffed))]
    body = (f"{args.n:,} PDQ hashes in one SQLite bank; each open in a fresh process: imports, `Matcher.from_store`, "
            f"first query; {machine()}.\n\n"
            + table(["open", "open (s)", "first query (ms)", "open + first query (s)", "vs cold (open + query)",
                     "imports (s)", "whole process (s)", "numba kernels compiled", "active hashes",
                     "RSS growth (MB)"], rows)
            + "\n\nA compiled kernel is cached on disk for later processes: a run on a fresh checkout includes "
            "the one-time compiles (in the open or the first query), a second run shows what every later "
            "process pays.")
    print(body)
    size = f"N = {args.n:,}"
    at = f"N = {args.n:,}"
    figures = [Figure(f"{at}: {name}, open + first query (s)", f"{r['first_match_s']:.2f} "
                      f"({r['first_match_s'] / cold['first_match_s']:.3f} of cold; "
                      f"{r['compiled']} numba kernels compiled)", "", None, size)
               for name, r in (("cold", cold), ("warm", warm),
                               (f"warm after {CHANGES:,} + {CHANGES:,} changes", diffed))]
    append_section(f"Opening a {args.n:,}-hash bank: cold vs cached PDQ index (bench/bank_open.py)", body, figures)


if __name__ == "__main__":
    main()
