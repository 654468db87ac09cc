"""``reclaim telegram capture`` end to end over a local stand-in for Telegram serving Telethon's own types."""

from __future__ import annotations

from pathlib import Path

from fake_telegram import CHAT_ID, VAULT_PASSPHRASE, FakeTelegram

from reclaim.evidence.casefiles import CaseFiles
from reclaim.store import open_store
from reclaim.store.models import Item
from reclaim.telegram.capture import CAPTURED, SOURCE
from reclaim.vault import Vault

LINK = f"https://t.me/c/{CHAT_ID}/1"


def bank_known(cli, tmp_path: Path, fake: FakeTelegram) -> None:  # type: ignore[no-untyped-def]
    known = tmp_path / "known.jpg"
    known.write_bytes(fake.room.known)
    assert cli("bank", "create", "known", "--kind", "known").code == 0
    assert cli("bank", "add", "known", known).code == 0


def items(case: str) -> dict[str, Item]:
    with open_store() as store, store.session() as session:
        rows = session.query(Item).all()
        return {r.locator: r for r in rows if r.case.name == case} if hasattr(Item, "case") else {
            r.locator: r for r in rows}


def test_capture_stores_every_message_with_custody_and_matches(cli, tmp_path: Path, signed_in: FakeTelegram,
                                                               reclaim_home: Path) -> None:
    bank_known(cli, tmp_path, signed_in)
    result = cli("telegram", "capture", LINK, "--case", "room3")
    assert result.code == 0, result.err
    assert "MATCH" in result.out and f"MATCH telegram:{CHAT_ID}/2: known/known.jpg (pdq" in result.out
    assert [line.split()[1] for line in result.out.splitlines() if line.startswith("captured telegram:")] == [
        f"telegram:{CHAT_ID}/{m.id}" for m in signed_in.room.messages]  # progress: a line per message
    triage = cli("triage", "room3")
    assert triage.code == 0 and f"telegram:{CHAT_ID}/2" in triage.out
    found = items("room3")
    media_ids = [m.id for m in signed_in.room.messages if getattr(m, "media", None)]
    assert sorted(int(loc.rsplit("/", 1)[1]) for loc in found) == media_ids
    repost = found[f"telegram:{CHAT_ID}/2"]
    context = repost.context
    assert context["poster"] == "Poster One" and context["poster_id"] == "user5550001"
    assert context["link"] == f"https://t.me/c/{CHAT_ID}/2" and context["chat_type"] == "private_supergroup"
    assert context["caption"] == "새 자료 올림\n두 줄" and context["posted_at"] == "2026-11-30T18:02:07Z"
    assert context["captured_by"] == "telegram:user7000001" and context["media_path"] is None
    assert found[f"telegram:{CHAT_ID}/5"].context["forwarded_from"] == "Origin Channel"
    assert found[f"telegram:{CHAT_ID}/6"].context["reply_to_message_id"] == 2
    assert found[f"telegram:{CHAT_ID}/7"].context["edited_at"] == "2026-11-30T18:09:00Z"
    assert found[f"telegram:{CHAT_ID}/9"].context["via_bot"] == "@pics_bot"
    assert found[f"telegram:{CHAT_ID}/10"].context["forwarded_from"] == "Hidden Sender"
    assert found[f"telegram:{CHAT_ID}/8"].status == "bytes_only"  # a voice message: hashed, not decoded
    with open_store() as store, store.session() as session:
        assert [m.bank for m in session.get(Item, repost.id).matches] == ["known"]  # type: ignore[union-attr]

    files = CaseFiles.for_case("room3")
    entries = [e for e in files.custody("test").entries() if e.details.get("source") == SOURCE]
    captured = [e for e in entries if e.action in ("item.acquired", CAPTURED)]
    assert [e.details["message_id"] for e in captured] == [m.id for m in signed_in.room.messages]  # one each, in order
    assert [e.time for e in captured] == sorted(e.time for e in captured)
    assert {e.details["chat_id"] for e in captured} == {CHAT_ID} and {e.details["account_id"] for e in captured} == {
        7000001}
    assert captured[3].action == CAPTURED and captured[3].object_sha256 is None  # text only
    assert captured[1].object_sha256 == repost.sha256
    vault = Vault.open(files.vault_path, VAULT_PASSPHRASE)
    assert set(vault.list()) == {i.sha256 for i in found.values()}

    # Run again: nothing new, nothing duplicated.
    again = cli("telegram", "capture", LINK, "--case", "room3")
    assert again.code == 0 and "after message 12" in again.out and "captured 0 messages" in again.out
    assert len([e for e in files.custody("t").entries() if e.action in ("item.acquired", CAPTURED)]) == len(captured)

    bundle = tmp_path / "room3.zip"
    assert cli("evidence", "export", "room3", "--out", bundle).code == 0
    verified = cli("evidence", "verify", bundle, "--json")
    assert verified.code == 0 and verified.json_lines()[0]["ok"] is True
    acquired = [e for e in files.custody("t").entries() if e.action == "item.acquired"]
    assert len(acquired) == len(found)  # the export found every item already acquired at capture time

    assert_no_plaintext(reclaim_home, list(signed_in.room.files.values()))


def assert_no_plaintext(home: Path, originals: list[bytes]) -> None:
    """No file under ``home`` holds any 64-byte run of any original (every offset of both is tried)."""
    runs = {original[i:i + 64] for original in originals for i in range(len(original) - 63)}
    on_disk = [p for p in home.rglob("*") if p.is_file()]
    assert len(on_disk) > 5 and len(runs) > 100_000
    for path in on_disk:
        data = path.read_bytes()
        leaked = next((i for i in range(len(data) - 63) if data[i:i + 64] in runs), None)
        assert leaked is None, f"{path} holds captured media in the clear at byte {leaked}"


def test_a_chat_not_joined_is_refused(cli, signed_in: FakeTelegram) -> None:
    from fake_telegram import room

    signed_in.room.chat = room(left=True)
    result = cli("telegram", "capture", LINK, "--case", "room3")
    assert result.code == 2
    assert "has not joined" in result.err and "never joins" in result.err
    assert signed_in.calls["iter_messages"] == 0 and not items("room3")
    assert not CaseFiles.for_case("room3").root.exists()  # no vault, no custody log for a refused chat


def test_unknown_chat_is_refused(cli, signed_in: FakeTelegram) -> None:
    result = cli("telegram", "capture", "@some_room_we_are_not_in", "--case", "room3")
    assert result.code == 2 and "Cannot find any entity" in result.err


def test_the_plaintext_check_finds_a_leak(tmp_path: Path, fake: FakeTelegram) -> None:
    import pytest

    original = fake.room.files[900002]
    for n in range(6):
        (tmp_path / f"f{n}").write_bytes(b"x" * 100)
    (tmp_path / "f3").write_bytes(b"header" + original[5000:5064] + b"trailer")
    with pytest.raises(AssertionError, match="f3 holds captured media in the clear at byte 6"):
        assert_no_plaintext(tmp_path, list(fake.room.files.values()))


def test_hostile_names_and_captions_cannot_drive_the_terminal(cli, signed_in: FakeTelegram) -> None:
    from fake_telegram import room

    signed_in.room.chat = room(title="\x1b[2J\x1b]0;pwned\x07[bold red]FAKE MATCH[/] \u202eroom")
    result = cli("telegram", "capture", LINK, "--case", "room3")
    assert result.code == 0, result.err
    assert "\x1b" not in result.out and "\u202e" not in result.out and "\x07" not in result.out
    assert "[bold red]FAKE MATCH[/]" in result.out  # shown as text, not interpreted


def test_without_the_extra_the_command_names_it() -> None:
    import subprocess
    import sys

    code = ("import sys; sys.modules['telethon'] = None; sys.argv = ['reclaim', 'telegram', 'capture', '@x', "
            "'--case', 'c']; from reclaim.cli.main import main; sys.exit(main())")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "reclaim telegram needs telethon: pip install 'reclaim[telegram]'" in done.stderr


def test_capture_alerts_an_enrolled_face_as_a_match(cli, signed_in: FakeTelegram,  # type: ignore[no-untyped-def]
                                                    face_photos: dict[str, Path], photo_vault) -> None:
    """No bank holds the re-post, but its face is an enrolled person's: capture alerts it like any match."""
    consent = "self-enrolled at the centre, 2026-12-05"
    assert cli("identity", "enroll", "astro", face_photos["astronaut"], "--consent", consent).code == 0
    result = cli("telegram", "capture", LINK, "--case", "room4")
    assert result.code == 0, result.err
    alerts = [line for line in result.out.splitlines() if line.startswith("MATCH")]
    assert len(alerts) == 1 and alerts[0].startswith(f"MATCH telegram:{CHAT_ID}/2: enrolled face of astro: face "
                                                     "distance ")
    assert "(same person at <= 0.6, auto-flag at <= 0.5: " in alerts[0] and "1 matches" in result.out
    assert "1 matched" in cli("case", "show", "room4").out
