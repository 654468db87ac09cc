"""Telegram Desktop HTML exports, generated from the JSON evals: both forms must give the same items."""

from __future__ import annotations

from pathlib import Path

import pytest
from telegram_writer import copy_export, write_html_export

from reclaim.errors import SourceError
from reclaim.models import MediaItem, Skipped
from reclaim.sources.telegram import TelegramExportSource
from reclaim.sources.telegram_common import HTML_UNKNOWN_FIELDS, HTML_UNKNOWN_SERVICE_FIELDS

EXPORTS = [
    "tg2md_test_channel/result.json",
    "ragtgbot_testrag_group/result.json",
    "chat_analytics/DM_2A_7M.json",
    "chat_analytics/MultiChat_2C_6M.json",
    "synthetic_tkonverter/result.json",
    "synthetic_tkonverter/result_group.json",
]
FORMAT_FIELDS = {"export_format", "export_file"}


def html_twin(json_path: Path, out: Path, per_page: int = 4) -> Path:
    """The export folder with its media, but the HTML form instead of the JSON (4 messages a page)."""
    copy_export(json_path.parent, out)
    for stale in out.glob("*.json"):
        stale.unlink()
    return write_html_export(json_path, out, per_page=per_page)


def comparable(context: dict, *, html: bool) -> dict:
    masked = FORMAT_FIELDS | HTML_UNKNOWN_FIELDS
    if context["message_type"] == "service":
        masked |= HTML_UNKNOWN_SERVICE_FIELDS
    if context.get("reply_to_peer_id") and not html:
        masked |= {"reply_to_message_id"}  # HTML says only "a message in another chat"
    return {k: v for k, v in context.items() if k not in masked}


@pytest.mark.parametrize("export", EXPORTS)
def test_json_and_html_forms_give_the_same_items(evals: Path, tmp_path: Path, export: str) -> None:
    json_path = evals / "telegram" / export
    from_json = list(TelegramExportSource(str(json_path)).iter_items())
    from_html = list(TelegramExportSource(str(html_twin(json_path, tmp_path / "html"))).iter_items())
    assert [i.locator.rsplit("/", 1)[1] for i in from_json] == [i.locator.rsplit("/", 1)[1] for i in from_html]
    for a, b in zip(from_json, from_html, strict=True):
        assert isinstance(a, MediaItem) and isinstance(b, MediaItem)
        assert (a.path is None) == (b.path is None)
        if a.path is not None:
            assert a.path.relative_to(json_path.parent) == b.path.relative_to(tmp_path / "html")
        assert comparable(dict(a.context), html=False) == comparable(dict(b.context), html=True), a.locator
        assert all(b.context[k] is None for k in HTML_UNKNOWN_FIELDS)


@pytest.mark.parametrize("export", EXPORTS)
def test_json_and_html_forms_give_the_same_messages(evals: Path, tmp_path: Path, export: str) -> None:
    json_path = evals / "telegram" / export
    from_json = [m for m in TelegramExportSource(str(json_path)).iter_messages() if m.message_type == "message"]
    twin = html_twin(json_path, tmp_path / "html")
    from_html = [m for m in TelegramExportSource(str(twin)).iter_messages() if m.message_type == "message"]
    fields = ("message_id", "caption", "poster", "via_bot", "forwarded_from", "posted_at", "posted_at_local",
              "utc_offset", "media_type", "chat_name")
    for a, b in zip(from_json, from_html, strict=True):
        assert [getattr(a, f) for f in fields] == [getattr(b, f) for f in fields]
        assert a.reply_to_message_id == b.reply_to_message_id or a.reply_to_peer_id


def test_html_locators_times_and_pages(evals: Path, tmp_path: Path) -> None:
    twin = html_twin(evals / "telegram" / "synthetic_tkonverter" / "result.json", tmp_path / "html", per_page=10)
    assert len(list(twin.glob("messages*.html"))) == 9  # 87 messages, 10 a page
    messages = {m.message_id: m for m in TelegramExportSource(str(twin)).iter_messages()}
    assert messages[3].locator == "telegram:Alice%20Example/3"
    assert messages[3].posted_at == "2026-02-01T09:04:00Z" and messages[3].utc_offset == "+00:00"
    assert messages[2].forwarded_from == "Channel News" and messages[2].via_bot == "@gif"
    account = html_twin(evals / "telegram" / "chat_analytics" / "MultiChat_2C_6M.json", tmp_path / "account")
    assert (account / "chats" / "chat_002" / "messages.html").is_file()
    (item,) = TelegramExportSource(str(account)).iter_items()
    assert item.locator == "telegram:Chat%20Two/2004" and item.context["utc_offset"] == "-02:00"


def test_result_json_wins_when_both_forms_are_present(evals: Path, tmp_path: Path) -> None:
    json_path = evals / "telegram" / "tg2md_test_channel" / "result.json"
    both = html_twin(json_path, tmp_path / "both")
    (both / "result.json").write_bytes(json_path.read_bytes())
    assert all(i.context["export_format"] == "json" for i in TelegramExportSource(str(both)).iter_items())


def page(body: str, name: str = "Room") -> str:
    return (f'<html><body><div class="page_header"><div class="content"><div class="text bold">{name}</div></div>'
            f'</div><div class="history">{body}</div></body></html>')


def test_hostile_html_is_reported_per_message(tmp_path: Path) -> None:
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "a.jpg").write_bytes(b"x")
    (tmp_path / "messages.html").write_text(page(
        '<div class="message default" id="messageX"><div class="body">no id</div></div>'
        '<div class="message default" id="message7"><div class="body"><div class="media_wrap">'
        '<a class="photo_wrap" href="../../etc/passwd">p</a></div></div></div>'
        '<div class="message default" id="message8"><div class="body"><div class="from_name">Eve</div>'
        '<div class="media_wrap"><a class="photo_wrap" href="photos/a.jpg"><img></a></div>'
        '<div class="text">unclosed <b>bold<br>line</div></div>'
        '<div class="message default" id="message9"><div class="body"><span>odd layout, no media'))
    found = list(TelegramExportSource(str(tmp_path)).iter_items())
    assert [(f.locator, getattr(f, "code", "ok")) for f in found] == [
        ("telegram:Room/?1", "bad_message"), ("telegram:Room/7", "path_escapes_root"), ("telegram:Room/8", "ok")]
    ok = found[2]
    assert isinstance(ok, MediaItem) and ok.context["caption"] == "unclosed bold\nline"
    assert ok.context["poster"] == "Eve" and ok.context["posted_at"] is None
    assert isinstance(found[1], Skipped) and "leaves the export folder" in found[1].reason


def test_html_without_a_chat_header_is_not_an_export(tmp_path: Path) -> None:
    (tmp_path / "messages.html").write_text("<html><body><p>hello</p></body></html>")
    with pytest.raises(SourceError, match="not a Telegram Desktop HTML export"):
        list(TelegramExportSource(str(tmp_path)).iter_items())
    assert not TelegramExportSource.claims(str(tmp_path / "elsewhere"))
