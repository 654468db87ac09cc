"""A long fuzzing run: ``python tests/fuzz/long_run.py [SECONDS_PER_TARGET]`` prints, per target, the inputs
executed, the crashes (any exception but SourceError, with the first input kept under /tmp) and the process's
peak memory. Not collected by pytest; the short run in CI is ``test_fuzz_parsers.py``."""

from __future__ import annotations

import re
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).parent))
import contextlib

from targets import archive_inputs, html_inputs, json_inputs, run_archive, run_html, run_json  # noqa: E402


def peak_mb() -> int:
    status = Path("/proc/self/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) // 1024  # type: ignore[union-attr]


def fuzz(name: str, strategy: st.SearchStrategy, target: Callable, seconds: float) -> dict[str, object]:
    counts = {"executions": 0, "crashes": 0}
    stop = time.monotonic() + seconds

    @settings(max_examples=10**9, deadline=None, phases=[Phase.generate], database=None,
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def run(data: object) -> None:
        if time.monotonic() > stop:
            raise TimeoutError
        counts["executions"] += 1
        try:
            target(data)
        except Exception:  # noqa: BLE001 - every failure is counted and kept, then the run goes on
            counts["crashes"] += 1
            if counts["crashes"] == 1:
                kept = Path(tempfile.gettempdir()) / f"reclaim-fuzz-crash-{name}.bin"
                kept.write_bytes(data if isinstance(data, bytes) else str(data).encode("utf-8", "surrogatepass"))
                print(f"{name}: crash kept in {kept}\n{traceback.format_exc()}", file=sys.stderr)

    started = time.monotonic()
    with contextlib.suppress(TimeoutError):
        run()
    return {"target": name, **counts, "seconds": round(time.monotonic() - started, 1)}


if __name__ == "__main__":
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 300.0
    for name, strategy, target in (("telegram_json", json_inputs(), run_json),
                                   ("telegram_html", html_inputs(), run_html),
                                   ("archive", archive_inputs(), run_archive)):
        print({**fuzz(name, strategy, target, seconds), "peak_rss_mb": peak_mb()}, flush=True)
