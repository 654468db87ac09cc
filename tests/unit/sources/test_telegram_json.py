"""Telegram Desktop JSON exports: the real/third-party evals, every message shape, and hostile inputs."""

from __future__ import annotations

import json
import os
import tracemalloc
from pathlib import Path

import pytest

from reclaim.errors import SourceError
from reclaim.models import MediaItem, Skipped
from reclaim.sources.telegram import TelegramExportSource

# eval export -> (messages, media items, items whose media is on disk)
EXPECTED = {
    "tg2md_test_channel": (19, 9, 9),
    "ragtgbot_testrag_group": (5, 0, 0),
    "chat_analytics/DM_2A_7M.json": (8, 2, 0),
    "chat_analytics/MultiChat_2C_6M.json": (6, 1, 0),
    "synthetic_tkonverter": (87, 10, 0),
    "synthetic_tkonverter/result_group.json": (45, 5, 0),
}


def items(target: Path | str) -> list[MediaItem | Skipped]:
    return list(TelegramExportSource(str(target)).iter_items())


def by_id(found: list) -> dict[int, MediaItem]:
    return {int(i.locator.rsplit("/", 1)[1]): i for i in found if isinstance(i, MediaItem)}


def write_export(folder: Path, messages: list[dict], **chat: object) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    root = {"name": "Room", "type": "private_supergroup", "id": 1500, **chat, "messages": messages}
    (folder / "result.json").write_text(json.dumps(root, ensure_ascii=False), encoding="utf-8")
    return folder


@pytest.mark.parametrize("export", sorted(EXPECTED))
def test_eval_exports_parse_with_expected_counts(evals: Path, export: str) -> None:
    source = TelegramExportSource(str(evals / "telegram" / export))
    messages = list(source.iter_messages())
    found = items(evals / "telegram" / export)
    on_disk = [i for i in found if isinstance(i, MediaItem) and i.path is not None]
    assert (len(messages), len(found), len(on_disk)) == EXPECTED[export]
    assert all(isinstance(i, MediaItem) for i in found)
    json.dumps([dict(i.context) for i in found])  # context is JSON-serialisable


def test_channel_photos_files_and_entity_text(evals: Path) -> None:
    root = evals / "telegram" / "tg2md_test_channel"
    found = by_id(items(root))
    photo = found[4]
    assert photo.locator == "telegram:1292077344/4"
    assert photo.path == root / "photos" / "photo_1@12-11-2020_12-57-31.jpg"
    ctx = photo.context
    assert ctx["chat_name"] == "test" and ctx["chat_type"] == "private_channel"
    assert ctx["caption"] == "photo with text" and ctx["media_type"] == "photo"
    assert ctx["link"] == "https://t.me/c/1292077344/4"
    assert ctx["poster"] == "test" and ctx["poster_id"] == "channel1292077344"
    assert ctx["posted_at"] is None and ctx["posted_at_local"] == "2020-11-12T12:57:40"  # 2020: no zone
    assert ctx["size"] == 8469 and ctx["missing_media"] is False and (ctx["width"], ctx["height"]) == (801, 526)
    assert found[7].context["media_type"] == "voice_message" and found[7].context["mime_type"] == "audio/ogg"
    svg = found[22].context
    assert (svg["media_type"], svg["mime_type"], svg["media_path"]) == ("file", "image/svg+xml", "files/dice.svg")
    assert svg["edited_at"] is None  # "edited" without edited_unixtime: local time only, not invented
    text = {m.message_id: m.caption for m in TelegramExportSource(str(root)).iter_messages()}
    assert text[9] == "italic in text\n\nitalic on whole line"


def test_missing_media_is_an_item_with_its_metadata(evals: Path) -> None:
    found = by_id(items(evals / "telegram" / "chat_analytics" / "DM_2A_7M.json"))
    assert sorted(found) == [3672, 3673]
    ctx = found[3672].context
    assert found[3672].path is None and found[3672].data is None
    assert ctx["missing_media"] is True and ctx["missing_reason"] == "not_included"
    assert (ctx["width"], ctx["height"], ctx["poster"], ctx["poster_id"]) == (960, 1280, "Alice", "user300000000")
    assert ctx["posted_at"] == "2022-06-10T22:06:38Z" and ctx["link"] is None  # personal chats have no link


def test_account_export_reads_every_chat_and_reasons(evals: Path) -> None:
    found = by_id(items(evals / "telegram" / "chat_analytics" / "MultiChat_2C_6M.json"))
    ctx = found[2004].context
    assert (ctx["chat_id"], ctx["chat_name"], ctx["chat_type"]) == (700000002, "Chat Two", "private_group")
    assert ctx["posted_at"] == "2023-01-03T12:00:00Z" and ctx["utc_offset"] == "-02:00"
    group = by_id(items(evals / "telegram" / "synthetic_tkonverter" / "result_group.json"))
    reasons = {k: v.context["missing_reason"] for k, v in group.items()}
    assert reasons == {3: "not_found", 29: "not_found", 30: "not_found", 31: "too_large", 32: "not_included"}
    assert group[3].context["message_type"] == "service" and group[3].context["action"] == "edit_group_photo"
    assert group[31].context["declared_size"] == 5_000_000_000


def test_every_media_shape_forward_reply_edit(evals: Path) -> None:
    found = by_id(items(evals / "telegram" / "synthetic_tkonverter"))
    kinds = {k: v.context["media_type"] for k, v in found.items()}
    assert kinds == {3: "photo", 4: "sticker", 5: "video_message", 6: "voice_message", 7: "animation",
                     8: "video_file", 9: "audio_file", 22: "file", 25: "photo", 60: "photo"}
    assert found[22].context["missing_reason"] == "unavailable"
    messages = {m.message_id: m for m in TelegramExportSource(str(evals / "telegram" / "synthetic_tkonverter"))
                .iter_messages()}
    forwarded = messages[2]
    assert (forwarded.forwarded_from, forwarded.forwarded_from_id) == ("Channel News", "channel500")
    assert (forwarded.reply_to_message_id, forwarded.reply_to_peer_id) == (1, "user777000")
    assert forwarded.edited_at == "2026-02-01T09:03:00Z" and forwarded.via_bot == "@gif"


def test_path_escapes_are_refused_and_never_read(tmp_path: Path) -> None:
    outside = tmp_path / "outside.jpg"
    outside.write_bytes(b"secret")
    root = tmp_path / "export"
    (root / "photos").mkdir(parents=True)
    (root / "photos" / "link.jpg").symlink_to(outside)
    (root / "photos" / "ok.jpg").write_bytes(b"jpeg")
    refs = ["../outside.jpg", str(outside), "photos/link.jpg", "C:\\Windows\\x.jpg", "photos/../photos/ok.jpg"]
    write_export(root, [{"id": n, "type": "message", "date_unixtime": "1700000000", "photo": ref, "text": ""}
                        for n, ref in enumerate(refs, 1)])
    found = items(root)
    escaped = [f for f in found if isinstance(f, Skipped)]
    assert [s.locator for s in escaped] == [f"telegram:1500/{n}" for n in (1, 2, 3, 4)]
    assert all(s.code == "path_escapes_root" and "leaves the export folder" in s.reason for s in escaped)
    (kept,) = [f for f in found if isinstance(f, MediaItem)]
    assert kept.path == root / "photos" / "ok.jpg" and kept.context["media_path"] == "photos/ok.jpg"


@pytest.mark.parametrize("cut", [0.3, 0.7])
def test_broken_json_names_file_and_position(tmp_path: Path, cut: float) -> None:
    root = write_export(tmp_path / "x", [{"id": n, "type": "message", "text": "hi" * 50} for n in range(200)])
    data = (root / "result.json").read_bytes()
    (root / "result.json").write_bytes(data[: int(len(data) * cut)])
    with pytest.raises(SourceError, match=r"result\.json: broken JSON at or before byte [\d,]+"):
        items(root)


def test_not_an_export_and_hostile_shapes(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "result.json").write_text('{"hello": [1, 2]}')
    with pytest.raises(SourceError, match="not a Telegram Desktop export"):
        items(tmp_path / "a")
    root = write_export(tmp_path / "b", [{"id": "x", "type": "message"}, {"id": 5, "photo": "p.jpg"},
                                          {"id": 5, "photo": "p.jpg"}, "junk"])
    found = items(root)
    assert [(f.locator, getattr(f, "code", "item")) for f in found] == [
        ("telegram:1500/?1", "bad_message"), ("telegram:1500/5", "item"), ("telegram:1500/5", "duplicate_message"),
        ("telegram:1500/?4", "bad_message")]  # an unusable id: named by its place, so each has its own row
    with pytest.raises(SourceError, match="no such file or folder"):
        TelegramExportSource(str(tmp_path / "nope"))


def test_resume_after_a_locator(evals: Path) -> None:
    root = evals / "telegram" / "tg2md_test_channel"
    every = [i.locator for i in items(root)]
    rest = [i.locator for i in TelegramExportSource(str(root)).iter_items(resume_after=every[3])]
    assert rest == every[4:]
    with pytest.raises(SourceError, match="cannot resume"):
        list(TelegramExportSource(str(root)).iter_items(resume_after="telegram:1/1"))


def test_large_export_streams_in_bounded_memory(tmp_path: Path) -> None:
    """Items come out while the file is still being read, holding about one message at a time."""
    root = tmp_path / "big"
    root.mkdir()
    message = {"type": "message", "date": "2026-01-01T00:00:00", "date_unixtime": "1767225600", "from": "poster",
               "from_id": "user1", "photo": "(File not included. Change data exporting settings to download.)",
               "text": [{"type": "bold", "text": "x" * 2000}]}
    with (root / "result.json").open("w") as fh:
        fh.write('{"name": "Big", "type": "public_channel", "id": 9, "messages": [')
        fh.write(",".join(json.dumps({"id": n + 1, **message}) for n in range(4000)))
        fh.write(",{")  # cut off: a file that has to be streamed, it cannot be loaded whole
    assert os.path.getsize(root / "result.json") > 8_000_000
    tracemalloc.start()
    found = TelegramExportSource(str(root)).iter_items()
    count = 0
    with pytest.raises(SourceError, match="broken JSON"):
        for _ in found:
            count += 1
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert count == 4000 and peak < 1_500_000  # ijson 3.6 peaks at 0.96 MB, 3.2 to 3.5 at 1.17 MB; the file is 8 MB
