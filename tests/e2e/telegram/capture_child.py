"""Run a capture of the fake room in this process (for the SIGKILL test): ``capture_child.py KILL_AT``.

With KILL_AT > 0 the stand-in for Telegram SIGKILLs this process when asked for that message's media.
"""

from __future__ import annotations

import asyncio
import sys

from fake_telegram import CHAT_ID, VAULT_PASSPHRASE, FakeTelegram, build_room

from reclaim.evidence.casefiles import CaseFiles
from reclaim.evidence.originals import open_vault
from reclaim.store import open_store
from reclaim.telegram.capture import Capture
from reclaim.telegram.client import Adapter


async def main(kill_at: int) -> None:
    fake = FakeTelegram(build_room(count=24), kill_at=kill_at or None)
    files = CaseFiles.for_case("room3")
    vault = open_vault(files, VAULT_PASSPHRASE, "child")
    with open_store() as store:
        job = Capture(Adapter(fake), store, files, vault, actor="child")
        await job.start(f"https://t.me/c/{CHAT_ID}")
        print("captured", await job.backfill(), "after", job.last_id if kill_at == 0 else "-", flush=True)


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
