"""Write the HTML form of a Telegram Desktop JSON export, the way Desktop's export_output_html.cpp lays it out.

The shared eval exports are JSON only; this writer turns each into the HTML export Desktop would have
written for the same chat, so tests can check that both forms yield the same items. Only what the reader
relies on is reproduced (classes, ids, titles, hrefs, <br> newlines, block indentation, joined messages,
pages of ``per_page`` messages); cosmetic parts (userpic colours, thumbnails) are simplified.
"""

from __future__ import annotations

import html
import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

DESCRIPTIONS = {
    "not_included": "Not included, change data exporting settings to download.",
    "too_large": "Exceeds maximum size, change data exporting settings to download.",
    "unavailable": "Unavailable, please try again later.",
}
_INLINE = {"bold": "strong", "italic": "em", "underline": "u", "strikethrough": "s", "code": "code", "pre": "pre",
           "blockquote": "blockquote"}
_GENERIC_TITLES = {"video_message": ("Video message", "media_video"), "voice_message": ("Voice message",
                   "media_voice_message"), "audio_file": ("Audio file", "media_audio_file")}
_WRAPS = {"photo": ("photo_wrap", "Photo", "media_photo"), "sticker": ("sticker_wrap", "Sticker", "media_photo"),
          "animation": ("animated_wrap", "Animation", "media_video"),
          "video_file": ("video_file_wrap", "Video file", "media_video")}


def copy_export(src: Path, dst: Path) -> Path:
    """Copy an export folder with writable permissions (the evals are read-only)."""
    for path in sorted(src.rglob("*")):
        target = dst / path.relative_to(src)
        if path.is_dir():
            target.mkdir(parents=True, exist_ok=True)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
    return dst


def write_html_export(result_json: Path, out: Path, per_page: int = 1000) -> Path:
    """Write ``out``/messages*.html (single chat) or ``out``/chats/chat_NNN/messages*.html (account export)."""
    data = json.loads(result_json.read_text(encoding="utf-8"))
    out.mkdir(parents=True, exist_ok=True)
    if "messages" in data:
        _write_chat(data, out, "", per_page)
        return out
    chats = data.get("chats", {}).get("list", []) + data.get("left_chats", {}).get("list", [])
    for number, chat in enumerate(chats, 1):
        _write_chat(chat, out / "chats" / f"chat_{number:03d}", "../../", per_page)
    (out / "export_results.html").write_text("<!DOCTYPE html><html><body>Exported Data</body></html>")
    return out


class _Html:
    """Desktop's pushTag/popTag: block tags on their own lines, indented by depth."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.depth = 0

    def open(self, tag: str, **attrs: str) -> None:
        rendered = "".join(f' {k.rstrip("_")}="{html.escape(v, quote=True)}"' for k, v in attrs.items())
        self.parts.append(f"\n{' ' * self.depth}<{tag}{rendered}>\n")
        self.depth += 1

    def close(self, tag: str = "div") -> None:
        self.depth -= 1
        self.parts.append(f"\n{' ' * self.depth}</{tag}>\n")

    def div(self, cls: str, content: str = "") -> None:
        self.open("div", class_=cls)
        self.parts.append(content)
        self.close()

    def raw(self, text: str) -> None:
        self.parts.append(text)


def _write_chat(chat: dict[str, Any], folder: Path, base: str, per_page: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    messages = chat.get("messages", [])
    pages = [messages[i : i + per_page] for i in range(0, len(messages), per_page)] or [[]]
    previous: dict[str, Any] | None = None
    separators = 0
    for number, page in enumerate(pages, 1):
        doc = _Html()
        doc.raw('<!DOCTYPE html>\n<html>\n<head>\n<meta charset="utf-8"/>\n<title>Exported Data</title>\n</head>')
        doc.open("body", onload="CheckLocation();")
        doc.open("div", class_="page_wrap")
        doc.open("div", class_="page_header")
        doc.open("div", class_="content")
        doc.div("text bold", _serialize(chat.get("name") or "Deleted Account"))
        doc.close()
        doc.close()
        doc.open("div", class_="page_body chat_page")
        doc.open("div", class_="history")
        for message in page:
            if (message.get("date") or "")[:10] != ((previous or {}).get("date") or "")[:10]:
                separators += 1  # Desktop's day headers: service blocks with negative ids
                doc.open("div", class_="message service", id=f"message-{separators}")
                doc.div("body details", (message.get("date") or "")[:10])
                doc.close()
            _message(doc, message, previous, base)
            previous = message
        for _ in range(4):
            doc.close()
        doc.raw("</html>\n")
        name = "messages.html" if number == 1 else f"messages{number}.html"
        (folder / name).write_text("".join(doc.parts), encoding="utf-8")


def _title(message: dict[str, Any], key: str = "date") -> str:
    unixtime = message.get(f"{key}_unixtime")
    local = message.get(key)
    if unixtime is None and local is None:
        return ""
    if unixtime is None:
        return datetime.fromisoformat(local).strftime("%d.%m.%Y %H:%M:%S")
    moment = datetime.fromtimestamp(int(unixtime), UTC).replace(tzinfo=None)
    wall = datetime.fromisoformat(local) if local else moment
    minutes = round((wall - moment).total_seconds() / 60)
    sign = "-" if minutes < 0 else "+"
    return f"{wall:%d.%m.%Y %H:%M:%S} UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _joined(message: dict[str, Any], previous: dict[str, Any] | None) -> bool:
    """Desktop's messageNeedsWrap, negated: same sender, same day, within 15 minutes, same forward."""
    if previous is None or previous.get("type") != "message" or message.get("from_id") is None:
        return False
    same = all(message.get(k) == previous.get(k) for k in ("from_id", "via_bot", "forwarded_from"))
    gap = abs(int(message.get("date_unixtime") or 0) - int(previous.get("date_unixtime") or 0))
    day = (message.get("date") or "")[:10] == (previous.get("date") or "")[:10]
    return same and day and gap <= (1 if message.get("forwarded_from") else 900)


def _message(doc: _Html, message: dict[str, Any], previous: dict[str, Any] | None, base: str) -> None:
    mid = str(message["id"])
    if message.get("type") != "message":  # Desktop shows unsupported messages as service notes too
        doc.open("div", class_="message service", id=f"message{mid}")
        doc.div("body details", _serialize(f"{message.get('actor', '')} {message.get('action', '')}".strip()))
        if isinstance(message.get("photo"), str) and not message["photo"].startswith("("):
            doc.open("div", class_="userpic_wrap")
            doc.open("a", class_="userpic_link", href=base + message["photo"])
            doc.div("userpic", "")
            doc.close("a")
            doc.close()
        doc.close()
        return
    joined = _joined(message, previous)
    doc.open("div", class_="message default clearfix" + (" joined" if joined else ""), id=f"message{mid}")
    if not joined:
        doc.open("div", class_="pull_left userpic_wrap")
        doc.div("userpic userpic1", "")
        doc.close()
    doc.open("div", class_="body")
    doc.open("div", class_="pull_right date details", title=_title(message))
    doc.raw(_title(message)[11:16])
    doc.close()
    via = f" via @{message['via_bot'].lstrip('@')}" if message.get("via_bot") else ""
    if not joined:
        doc.div("from_name", _serialize((message.get("from") or "Deleted Account") + " ") + via)
    forwarded = message.get("forwarded_from")
    if forwarded is not None:
        doc.open("div", class_="forwarded body")
        if not joined:
            date = f'<span class="date details" title="{_title(message)}"> {_title(message)[:19]}</span>'
            doc.div("from_name", _serialize(forwarded) + date)
    if message.get("reply_to_message_id") is not None:
        target = message["reply_to_message_id"]
        link = (f'<a href="#go_to_message{target}" onclick="return GoToMessage({target})">this message</a>')
        doc.div("reply_to details", "In reply to a message in another chat" if message.get("reply_to_peer_id")
                else "In reply to " + link)
    _media(doc, message, base)
    text = _text(message.get("text"))
    if text:
        doc.div("text", text)
    if forwarded is not None:
        doc.close()
    doc.close()
    doc.close()


def _media(doc: _Html, message: dict[str, Any], base: str) -> None:
    if isinstance(message.get("photo"), str):
        kind, ref = "photo", message["photo"]
    elif isinstance(message.get("file"), str):
        kind, ref = message.get("media_type") or "file", message["file"]
    else:
        return
    missing = ref.startswith("(")
    doc.open("div", class_="media_wrap clearfix")
    if kind in _WRAPS and not missing:
        wrap = _WRAPS[kind][0]
        doc.open("a", class_=f"{wrap} clearfix pull_left", href=base + ref)
        doc.raw(f'<img class="photo" src="{html.escape(base + ref)}_thumb.jpg"/>')
        doc.close("a")
    else:
        title, classes = (_WRAPS[kind][1:] if kind in _WRAPS else _GENERIC_TITLES.get(kind) or (
            message.get("file_name") or "File", "media_file"))
        if missing:
            doc.open("div", class_=f"media clearfix pull_left {classes}")
        else:
            doc.open("a", class_=f"media clearfix pull_left block_link {classes}", href=base + ref)
        doc.div("fill pull_left")
        doc.open("div", class_="body")
        doc.div("title bold", _serialize(title))
        if missing:
            lowered = ref.lower()
            reason = ("too_large" if "maximum size" in lowered else "unavailable" if "unavailable" in lowered
                      else "not_included")
            doc.div("description", DESCRIPTIONS[reason])
        doc.div("status details", _serialize(f"{message.get('file_size') or message.get('photo_file_size') or 0} B"))
        doc.close()
        doc.close("div" if missing else "a")
    doc.close()


def _serialize(text: str) -> str:
    """Desktop's SerializeString: HTML-escape, newlines become <br>."""
    return html.escape(text, quote=True).replace("\n", "<br>")


def _text(text: Any) -> str:
    if isinstance(text, str):
        return _serialize(text)
    parts = []
    for part in text or []:
        if isinstance(part, str):
            parts.append(_serialize(part))
            continue
        inner = _serialize(part.get("text", ""))
        kind = part.get("type")
        if kind in _INLINE:
            parts.append(f"<{_INLINE[kind]}>{inner}</{_INLINE[kind]}>")
        elif kind in ("link", "text_link", "email", "mention", "phone"):
            href = part.get("href") or part.get("text", "")
            parts.append(f'<a href="{html.escape(href, quote=True)}">{inner}</a>')
        elif kind == "spoiler":
            parts.append(f'<span class="spoiler hidden"><span aria-hidden="true">{inner}</span></span>')
        else:
            parts.append(inner)
    return "".join(parts)
