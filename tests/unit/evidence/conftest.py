"""Fixtures for the evidence tests: cheap Argon2id parameters, case keys, a small signed custody log."""

from __future__ import annotations

from pathlib import Path

import pytest

from reclaim.evidence import CustodyLog, KdfParams, SigningKey


@pytest.fixture
def fast_kdf() -> KdfParams:
    """Argon2id at 1 MiB / 1 pass: the same code path as production, fast enough for unit tests."""
    return KdfParams(time_cost=1, memory_kib=1024, parallelism=1)


@pytest.fixture
def key() -> SigningKey:
    return SigningKey.generate()


@pytest.fixture
def log(tmp_path: Path, key: SigningKey) -> CustodyLog:
    """A log with six entries: seq 1 custody.created, seq 2-6 acquisitions and a review."""
    log = CustodyLog.create(tmp_path / "case" / "custody.jsonl", key, actor="officer kim")
    for n in range(4):
        log.append("officer kim", "item.acquired", f"{n:064x}", {"locator": f"telegram:-100123/{n}", "n": n})
    log.append("검토자 이", "review.confirmed", f"{0:064x}", {"note": "같은 사진"})
    return log

