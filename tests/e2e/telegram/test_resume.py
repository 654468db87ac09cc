"""A capture killed with SIGKILL resumes from the last captured message: no gap, no duplicate."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from fake_telegram import CHAT_ID, VAULT_PASSPHRASE, FakeTelegram, build_room

from reclaim.evidence.casefiles import CaseFiles
from reclaim.evidence.originals import open_vault
from reclaim.store import open_store
from reclaim.store.models import Item
from reclaim.telegram.capture import CAPTURED, SOURCE, Capture
from reclaim.telegram.client import Adapter

CHILD = Path(__file__).with_name("capture_child.py")


def run_child(kill_at: int, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "RECLAIM_HOME": str(home),
           "PYTHONPATH": os.pathsep.join([str(CHILD.parent), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, str(CHILD), str(kill_at)], env=env, capture_output=True, text=True,
                          timeout=600, check=False)


@pytest.mark.slow
def test_resume_after_sigkill_has_no_gap_and_no_duplicate(reclaim_home: Path) -> None:
    killed = run_child(kill_at=20, home=reclaim_home)  # in the second batch of 16: the first is committed
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    files = CaseFiles.for_case("room3")
    first = [e.details["message_id"] for e in files.custody("t").entries()
             if e.action in ("item.acquired", CAPTURED) and e.details.get("source") == SOURCE]
    assert first == list(range(1, 17))  # the batch that was committed, and nothing of the one killed

    finished = run_child(kill_at=0, home=reclaim_home)
    assert finished.returncode == 0, finished.stderr
    assert "captured 8 after 24" in finished.stdout
    entries = files.custody("t").entries()
    captured = [e for e in entries if e.action in ("item.acquired", CAPTURED) and e.details.get("source") == SOURCE]
    assert [e.details["message_id"] for e in captured] == list(range(1, 25))
    assert [e.details["resumed_after"] for e in entries if e.action == "telegram.capture_started"] == [None, 16]
    files.custody("t").verify()
    media = [m.id for m in build_room(count=24).messages if getattr(m, "media", None)]
    with open_store() as store, store.session() as session:
        locators = [loc for (loc,) in session.query(Item.locator).all()]
    assert sorted(int(loc.rsplit("/", 1)[1]) for loc in locators) == media
    assert all(loc.startswith(f"telegram:{CHAT_ID}/") for loc in locators)


def test_a_crash_between_storing_items_and_logging_them_captures_them_once(fake: FakeTelegram,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    files = CaseFiles.for_case("room3")
    vault = open_vault(files, VAULT_PASSPHRASE, "t")
    real = type(files).record_many

    def crash(self, actor, entries):  # type: ignore[no-untyped-def]
        raise KeyboardInterrupt("killed after the items were committed")

    async def capture() -> int:
        with open_store() as store:
            job = Capture(Adapter(fake), store, files, vault, actor="t")
            await job.start(f"https://t.me/c/{CHAT_ID}")
            return await job.backfill()

    monkeypatch.setattr(type(files), "record_many", crash)
    with pytest.raises(KeyboardInterrupt):
        asyncio.run(capture())
    with open_store() as store, store.session() as session:
        assert session.query(Item).count() == 10  # the items are there, their custody entries are not
    monkeypatch.setattr(type(files), "record_many", real)
    assert asyncio.run(capture()) == 12
    entries = files.custody("t").entries()
    ids = [e.details["message_id"] for e in entries if e.action in ("item.acquired", CAPTURED)]
    assert ids == list(range(1, 13))
    with open_store() as store, store.session() as session:
        assert session.query(Item).count() == 10
