"""Shared by the bench scripts: append one dated markdown section to bench/RESULTS.md (the history), the run's
headline figures as JSON lines to bench/results.jsonl, and regenerate the table of current figures at the top
of RESULTS.md from those lines (bench/summary.py).

Several scripts (and people) record at once, so every write holds one lock (in .bench-data/, gitignored).
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from summary import HEADER, LOCK, write_summary

from reclaim._files import locked

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
RESULTS = BENCH / "RESULTS.md"
RECORDS = BENCH / "results.jsonl"


@dataclass(frozen=True)
class Figure:
    """One headline number of a run, as the summary table shows it.

    ``met`` is None when the figure has no target (reported so it is seen, not judged). ``size`` says how big
    the run was (the machine is shared, so runs are often smaller than a script's default).
    """

    figure: str
    value: str
    target: str = ""
    met: bool | None = None
    size: str = ""


def machine() -> str:
    """Where the numbers came from; the load average says how much else was running (the cores are shared)."""
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return f"{platform.machine()}, {os.cpu_count()} cores, load average {load}, Python {platform.python_version()}"


def commit() -> str:
    """The commit measured; ``-dirty`` when src/ or bench/ scripts differ from it (results files aside)."""
    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(REPO), *args], capture_output=True, text=True, check=False).stdout

    head = git("rev-parse", "--short", "HEAD").strip() or "unknown"
    changed = [line for line in git("status", "--porcelain", "--", "src", "bench").splitlines()
               if not line.endswith(("RESULTS.md", "results.jsonl"))]
    return head + ("-dirty" if changed else "")


def append_section(title: str, body: str, figures: Iterable[Figure] = (), *, bench: str | None = None,
                   results: Path = RESULTS, records: Path = RECORDS) -> None:
    """Append the prose section, then the figures (if any), then rebuild the table at the top of ``results``."""
    now = datetime.now(UTC)
    stamp = now.strftime("%Y-%m-%d %H:%M UTC")
    name = bench or f"bench/{Path(sys.argv[0]).name}"
    load = f"{os.getloadavg()[0]:.1f}"  # at the end of the run: other jobs share the 2 cores
    rows = [{"bench": name, **asdict(f), "load": load, "commit": commit(), "date": stamp} for f in figures]
    LOCK.parent.mkdir(parents=True, exist_ok=True)
    with locked(LOCK):
        with results.open("a", encoding="utf-8") as f:
            text = f"\n## {stamp} — {title}\n\n{body.strip()}\n"
            f.write((HEADER + text) if f.tell() == 0 else text)
        if rows:
            with records.open("a", encoding="utf-8") as f:
                f.write("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows))
        write_summary(results, records)


def table(header: list[str], rows: list[list[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)
