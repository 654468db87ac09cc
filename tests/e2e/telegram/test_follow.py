"""Following a room: new, edited and deleted messages (Telethon's update types), flood waits, and login/logout."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from pathlib import Path

import pytest
from fake_telegram import (
    CHAT_ID,
    CHEAP,
    POSTERS,
    SIGN_IN_PASSPHRASE,
    START,
    VAULT_PASSPHRASE,
    FakeTelegram,
    message,
    photo_bytes,
    photo_media,
)
from telethon.tl import types

from reclaim.cli.telegram_cmd import run_capture
from reclaim.errors import NotFound, WrongPassphrase
from reclaim.evidence.casefiles import CaseFiles
from reclaim.evidence.originals import open_vault
from reclaim.matching.keypoints import Mode
from reclaim.store import open_store
from reclaim.store.models import Item
from reclaim.telegram import session
from reclaim.telegram.capture import DELETED, EDITED, Capture
from reclaim.telegram.client import Adapter
from reclaim.telegram.follow import follow


def item(locator: str) -> Item | None:
    with open_store() as store, store.session() as s:
        return s.query(Item).filter(Item.locator == locator).one_or_none()


def test_follow_captures_new_edited_and_deleted_messages(fake: FakeTelegram, reclaim_home: Path) -> None:
    files = CaseFiles.for_case("room3")
    vault = open_vault(files, VAULT_PASSPHRASE, "test")
    seen: list[tuple[str, int, float]] = []

    async def scenario() -> None:
        with open_store() as store:
            job = Capture(Adapter(fake), store, files, vault, actor="officer kim",
                          on_event=lambda e: seen.append((e.kind, e.message_id, time.monotonic())))
            await job.start(f"https://t.me/c/{CHAT_ID}")
            stop = asyncio.Event()
            task = asyncio.create_task(follow(job, poll_seconds=60, stop=stop))
            while not any(k == "captured" and i == 12 for k, i, _ in seen):
                await asyncio.sleep(0.05)
            posted = time.monotonic()
            new = message(13, POSTERS[0], "new post", media=photo_media(900013, photo_bytes(313), START))
            fake.room.files[900013] = photo_bytes(313)
            await fake.push(types.UpdateNewChannelMessage(message=new, pts=100, pts_count=1))
            while not any(k == "captured" and i == 13 for k, i, _ in seen):
                await asyncio.sleep(0.05)
            assert [t for k, i, t in seen if i == 13][0] - posted < 5.0  # within seconds
            edited_text = message(4, POSTERS[2], "text rewritten", edit_date=START + timedelta(hours=1))
            await fake.push(types.UpdateEditChannelMessage(message=edited_text, pts=101, pts_count=1))
            fake.room.files[900099] = photo_bytes(999)
            swapped = message(6, POSTERS[1], "picture swapped", media=photo_media(900099, photo_bytes(999), START),
                              edit_date=START + timedelta(hours=2),
                              reply_to=types.MessageReplyHeader(reply_to_msg_id=2))
            await fake.push(types.UpdateEditChannelMessage(message=swapped, pts=102, pts_count=1))
            await fake.push(types.UpdateEditChannelMessage(message=swapped, pts=102, pts_count=1))  # sent twice
            gone = types.UpdateDeleteChannelMessages(channel_id=CHAT_ID, messages=[2, 4], pts=103, pts_count=2)
            await fake.push(gone)
            await fake.push(types.UpdateDeleteChannelMessages(channel_id=42, messages=[3], pts=1, pts_count=1))
            while not any(k == "deleted" for k, _, _ in seen):
                await asyncio.sleep(0.05)
            stop.set()
            await asyncio.wait_for(task, 5)

    asyncio.run(scenario())
    assert item(f"telegram:{CHAT_ID}/13").context["caption"] == "new post"  # type: ignore[union-attr]
    original = item(f"telegram:{CHAT_ID}/6")
    assert original is not None and original.context["caption"] == "reply with a picture"  # not overwritten
    edit, again = original.context["edits"]  # the same edit delivered twice: seen twice, media kept once
    assert again["media_locator"] is None and again["sha256"] == edit["sha256"]
    assert edit["caption"] == "picture swapped" and edit["edited_at"] == "2026-11-30T20:00:00Z"
    swapped_item = item(edit["media_locator"])
    assert swapped_item is not None and swapped_item.sha256 == edit["sha256"] != original.sha256
    assert swapped_item.context["edit_of"] == original.locator
    deleted = item(f"telegram:{CHAT_ID}/2")
    assert deleted is not None and deleted.sha256 and deleted.context["deleted_seen_at"]
    assert item(f"telegram:{CHAT_ID}/3").context.get("deleted_seen_at") is None  # type: ignore[union-attr]
    log = files.custody("t").entries()
    assert [(e.details["message_id"], e.details["caption"]) for e in log if e.action == EDITED] == [
        (4, "text rewritten"), (6, "picture swapped"), (6, "picture swapped")]
    assert [(e.details["message_id"], e.details["was_captured"]) for e in log if e.action == DELETED] == [
        (2, True), (4, True)]
    acquired = [e.details["locator"] for e in log if e.action == "item.acquired"]
    assert acquired.count(edit["media_locator"]) == 1 and len(acquired) == len(set(acquired))
    assert Path(files.vault_path).is_dir() and edit["sha256"] in open_vault(files, VAULT_PASSPHRASE, "t").list()


def test_flood_waits_are_obeyed_with_backoff_never_a_tight_loop(fake: FakeTelegram, reclaim_home: Path) -> None:
    fake.flood = {"iter_messages": [7, 7, 30], "download_media": [5], "get_entity": [3], "iter_messages_mid": [12]}
    sleeps: list[float] = []

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    files = CaseFiles.for_case("room3")
    vault = open_vault(files, VAULT_PASSPHRASE, "test")

    async def scenario() -> int:
        with open_store() as store:
            shown = lambda what, delay: waits.append(f"{what}: {delay:g}")  # noqa: E731
            job = Capture(Adapter(fake, sleep=sleep, on_wait=shown), store, files, vault, actor="t")
            await job.start(str(CHAT_ID))
            return await job.backfill()

    waits: list[str] = []
    assert asyncio.run(scenario()) == len(fake.room.messages)
    assert waits[:2] == [f"resolve {CHAT_ID}: 4", "read 캠퍼스 room 3: 8"]  # each wait is shown
    # Each wait is what Telegram asked plus a backoff that doubles while the same call keeps failing.
    assert sleeps == [3 + 1, 7 + 1, 7 + 2, 30 + 4, 12 + 1, 5 + 1]  # the backoff restarts once a call succeeds
    media = sum(1 for m in fake.room.messages if getattr(m, "media", None))
    assert fake.calls["iter_messages"] == 5 and fake.calls["download_media"] == media + 1
    ids = [e.details["message_id"] for e in files.custody("t").entries() if "message_id" in e.details]
    assert ids == sorted(set(ids)) == [m.id for m in fake.room.messages]  # the restart after a wait: no gap, no twin


def test_flood_wait_that_never_ends_gives_up(fake: FakeTelegram, reclaim_home: Path) -> None:
    from reclaim.errors import ExternalError

    fake.flood = {"get_entity": [10] * 50}
    sleeps: list[float] = []

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    async def scenario() -> None:
        await Adapter(fake, sleep=sleep).resolve(str(CHAT_ID))

    with pytest.raises(ExternalError, match="keeps asking to wait"):
        asyncio.run(scenario())
    assert len(sleeps) == 6 and sleeps == sorted(sleeps) and fake.calls["get_entity"] == 7


def test_login_keeps_the_session_encrypted_and_logout_revokes_it(cli, fake: FakeTelegram, reclaim_home: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    fake.signed_in = False
    monkeypatch.setattr("reclaim.telegram.client.make_client", lambda *a, **k: fake)
    monkeypatch.setenv(session.PASSPHRASE_ENV, SIGN_IN_PASSPHRASE)
    answers = iter(["12345", "second factor"])
    monkeypatch.setattr("typer.prompt", lambda *a, **k: next(answers))
    result = cli("telegram", "login", "--api-id", "12345", "--api-hash", "feedfacefeedface", "--phone", "+8210")
    assert result.code == 0, result.err
    assert "signed in as @centre_inv" in result.out and fake.code_sent_to == "+8210"
    secret = fake.session.secret.encode()
    for path in (p for p in reclaim_home.rglob("*") if p.is_file()):
        data = path.read_bytes()
        assert secret[:40] not in data and b"feedfacefeedface" not in data, path
    with pytest.raises(WrongPassphrase):
        session.load("not the passphrase")
    assert session.load(SIGN_IN_PASSPHRASE).session == fake.session.secret
    out = cli("telegram", "logout")
    assert out.code == 0 and "revoked" in out.out and fake.logged_out
    with pytest.raises(NotFound):
        session.load(SIGN_IN_PASSPHRASE)
    assert not list((session.folder() / "vault" / "objects").glob("*/*.key"))


def test_wrong_two_step_password_is_refused(cli, fake: FakeTelegram, monkeypatch: pytest.MonkeyPatch) -> None:
    fake.signed_in = False
    monkeypatch.setattr("reclaim.telegram.client.make_client", lambda *a, **k: fake)
    monkeypatch.setenv(session.PASSPHRASE_ENV, SIGN_IN_PASSPHRASE)
    answers = iter(["12345", "guess"])
    monkeypatch.setattr("typer.prompt", lambda *a, **k: next(answers))
    result = cli("telegram", "login", "--api-id", "1", "--api-hash", "x" * 32, "--phone", "+8210")
    assert result.code == 2 and "two-step verification password is wrong" in result.err
    assert session.signed_in_as() is None


def test_since_skips_older_messages(signed_in: FakeTelegram) -> None:
    files = CaseFiles.for_case("room3")
    vault = open_vault(files, VAULT_PASSPHRASE, "t")

    async def scenario() -> object:
        with open_store() as store:
            return await run_capture(signed_in, store, files, vault, "campus_room", actor="t", follow=False,
                                     since=START + timedelta(minutes=9, seconds=30), previews=False, mode=Mode.FAST)

    totals = asyncio.run(scenario())
    assert totals.messages == 3  # messages 10, 11 and 12  # type: ignore[attr-defined]
    assert CHEAP.memory_kib == 1024
