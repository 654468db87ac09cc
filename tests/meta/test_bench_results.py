"""bench/RESULTS.md opens with a table generated from bench/results.jsonl (bench/summary.py): it must be current,
and a bench's record step must update it while keeping the prose history below."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench"


def _python(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(BENCH), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, timeout=120)


def test_the_committed_table_is_what_the_records_give() -> None:
    done = subprocess.run([sys.executable, str(BENCH / "summary.py"), "--check"], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr


def test_every_record_names_its_bench_figure_target_and_run() -> None:
    rows = [json.loads(line) for line in (BENCH / "results.jsonl").read_text().splitlines() if line.strip()]
    assert rows
    for row in rows:
        assert {"bench", "figure", "value", "target", "met", "size", "commit", "date"} <= row.keys(), row
        assert row["met"] in (True, False, None), row
        assert (BENCH.parent / row["bench"]).exists(), row["bench"]


RECORD_TWICE = """
import sys
from pathlib import Path
from record import Figure, append_section
results, records = Path(sys.argv[1]), Path(sys.argv[2])
append_section("first run", "old prose", [Figure("ratio", "2.0x", ">= 3x", False, "100 files")],
               bench="bench/hash.py", results=results, records=records)
append_section("second run", "new prose", [Figure("ratio", "3.5x", ">= 3x", True, "1000 files"),
                                            Figure("files/s", "12.0")], bench="bench/hash.py",
               results=results, records=records)
"""


def test_recording_keeps_the_history_and_shows_the_latest_figure(tmp_path: Path) -> None:
    results, records = tmp_path / "RESULTS.md", tmp_path / "results.jsonl"
    results.write_text("# Benchmark results\n\nSections are appended by the scripts in bench/, newest last.\n\n"
                       "## 2026-01-01 00:00 UTC — an old section\n\nold table\n")
    done = _python(RECORD_TWICE, str(results), str(records))
    assert done.returncode == 0, done.stderr

    text = results.read_text()
    table, history = text.split("## History", 1)
    assert "| bench/hash.py | ratio | 3.5x | >= 3x | yes | 1000 files |" in table
    assert "2.0x" not in table  # only the latest record of a figure is current
    assert "| bench/hash.py | files/s | 12.0 |  | — |" in table
    assert history.index("an old section") < history.index("first run") < history.index("second run")
    assert "old prose" in history and "new prose" in history
    assert len(records.read_text().splitlines()) == 3

    check = subprocess.run([sys.executable, str(BENCH / "summary.py"), "--check", "--results", str(results),
                            "--records", str(records)], capture_output=True, text=True, timeout=120)
    assert check.returncode == 0, check.stderr
    records.write_text(records.read_text().replace("3.5x", "9.9x"))
    stale = subprocess.run([sys.executable, str(BENCH / "summary.py"), "--check", "--results", str(results),
                            "--records", str(records)], capture_output=True, text=True, timeout=120)
    assert stale.returncode == 1 and "not what" in stale.stderr
