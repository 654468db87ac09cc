"""Run a child Python process for the crash tests, read its acknowledgements, kill it with SIGKILL."""

from __future__ import annotations

import subprocess
import sys
import time


def run_until(script: str, acks: int, timeout: float = 60.0) -> tuple[subprocess.Popen[str], list[str]]:
    """Start ``python -c script``; return once it has printed ``acks`` lines (then call :func:`kill`)."""
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    assert proc.stdout is not None
    while len(lines) < acks and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line.strip())
    return proc, lines


def kill(proc: subprocess.Popen[str]) -> None:
    """SIGKILL: no cleanup handlers, no flushing; the next open must cope with whatever was left."""
    proc.kill()
    proc.wait()
    if proc.stdout is not None:
        proc.stdout.close()
