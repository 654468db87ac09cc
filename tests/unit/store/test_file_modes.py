"""Data at rest: RECLAIM_HOME is created 0700, the database and the custody files 0600."""

import os
import stat
from pathlib import Path

import pytest

from reclaim.evidence.casefiles import CaseFiles
from reclaim.evidence.originals import open_vault
from reclaim.store import open_store


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("umask", [0o022, 0o002])
def test_home_database_and_custody_are_private(reclaim_home: Path, umask: int) -> None:
    old = os.umask(umask)
    try:
        with open_store() as store, store.session():
            pass
        files = CaseFiles.for_case("c1")
        files.record("officer", "test.action", None, {})
    finally:
        os.umask(old)
    assert mode(reclaim_home) == 0o700
    assert mode(reclaim_home / "reclaim.db") == 0o600
    for extra in ("reclaim.db-wal", "reclaim.db-shm"):
        if (reclaim_home / extra).exists():
            assert mode(reclaim_home / extra) == 0o600
    assert mode(files.root) == 0o700 and mode(files.root.parent) == 0o700
    assert mode(files.log_path) == 0o600 and mode(files.log_path.with_suffix(".sig")) == 0o600
    assert mode(files.key_path) == 0o600


def test_an_existing_database_is_made_private(tmp_path: Path) -> None:
    database = tmp_path / "old.db"
    database.touch(mode=0o644)
    os.chmod(database, 0o644)
    open_store(f"sqlite:///{database}").close()
    assert mode(database) == 0o600


def test_vault_created_is_logged_after_the_vault_exists(reclaim_home: Path, monkeypatch) -> None:
    files = CaseFiles.for_case("c1")
    seen = []
    original = CaseFiles.record

    def record(self, actor, action, sha=None, details=None):  # type: ignore[no-untyped-def]
        seen.append((action, (files.vault_path / "vault.json").exists()))
        return original(self, actor, action, sha, details)

    monkeypatch.setattr(CaseFiles, "record", record)
    open_vault(files, "a long passphrase", "officer")
    assert ("vault.created", True) in seen
