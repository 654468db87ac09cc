"""Crash safety and concurrency of the custody log, with real processes: SIGKILL mid-append, two writers."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from evidence_procs import kill, run_until

from reclaim.evidence import CustodyLog, SigningKey, read_entries, verify_log

APPENDER = """
import sys
from pathlib import Path
from reclaim.evidence import CustodyLog, SigningKey
log = CustodyLog.open(Path({log!r}), SigningKey.load(Path({key!r}), None))
n = 0
while n < {limit}:
    entry = log.append({actor!r}, "item.acquired", None, {{"n": n, "pad": "x" * 3000}})
    print(entry.seq, n, flush=True)
    n += 1
"""


def _setup(tmp_path: Path) -> tuple[Path, Path, SigningKey]:
    key = SigningKey.generate()
    key_path = tmp_path / "test.key"
    key.save(key_path, None, allow_unencrypted=True)
    log = tmp_path / "case" / "custody.jsonl"
    CustodyLog.create(log, key, actor="officer kim")
    return log, key_path, key


def _ns(log: Path, actor: str) -> list[int]:
    return [e.details["n"] for e in read_entries(log) if e.actor == actor]


def test_sigkill_while_appending_loses_nothing_acknowledged(tmp_path: Path) -> None:
    log, key_path, key = _setup(tmp_path)
    for round_ in range(2):  # kill at two different moments
        actor = f"worker{round_}"
        script = APPENDER.format(log=str(log), key=str(key_path), actor=actor, limit=10**9)
        proc, acks = run_until(script, 10 + 5 * round_)
        kill(proc)
        assert len(acks) == 10 + 5 * round_
        reopened = CustodyLog.open(log, key)  # repairs a torn line or an unsigned head if the kill left one
        verify_log(log, key.public_key)
        entries = {e.seq: e for e in read_entries(log)}
        for ack in acks:
            seq, n = map(int, ack.split())
            assert entries[seq].actor == actor and entries[seq].details["n"] == n
        kept = _ns(log, actor)
        assert kept == list(range(len(kept))) and len(kept) >= len(acks)
        assert reopened.recovered == {} or set(reopened.recovered) <= {"torn_tail", "unsigned_entries"}
    assert not list(log.parent.glob(".tmp-*"))  # a signature temp file cut short by the kill was cleaned up


def test_two_processes_appending_do_not_interleave(tmp_path: Path) -> None:
    log, key_path, key = _setup(tmp_path)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", APPENDER.format(log=str(log), key=str(key_path), actor=actor, limit=30)],
            stdout=subprocess.DEVNULL,
        )
        for actor in ("alice", "bob")
    ]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    verify_log(log, key.public_key)
    assert [e.seq for e in read_entries(log)] == list(range(1, 62))
    assert _ns(log, "alice") == list(range(30)) and _ns(log, "bob") == list(range(30))
