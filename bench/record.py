"""Shared by the bench scripts: append one dated markdown section to bench/RESULTS.md.

Several scripts (and people) append to the same file, so it is only ever opened for appending, and each
section is written in one call.
"""

from __future__ import annotations

import os
import platform
from datetime import UTC, datetime
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
_HEADER = "# Benchmark results\n\nSections are appended by the scripts in bench/, newest last.\n"


def machine() -> str:
    """Where the numbers came from; the load average says how much else was running (the cores are shared)."""
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return f"{platform.machine()}, {os.cpu_count()} cores, load average {load}, Python {platform.python_version()}"


def append_section(title: str, body: str, results: Path = RESULTS) -> None:
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    text = f"\n## {stamp} — {title}\n\n{body.strip()}\n"
    with results.open("a", encoding="utf-8") as f:
        if f.tell() == 0:
            text = _HEADER + text
        f.write(text)


def table(header: list[str], rows: list[list[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)
