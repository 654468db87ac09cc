"""Telegram Desktop's machine-readable export (``result.json``), streamed with ijson.

A seized account's ``result.json`` can be gigabytes, so it is never loaded whole: parse events are walked
once, and only one message at a time is built into a dict. Both shapes are read: a single chat
(``{name, type, id, messages}``) and a full-account export (``chats.list[]``, ``left_chats.list[]``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import ijson

from reclaim.errors import SourceError
from reclaim.models import Skipped
from reclaim.sources.telegram_common import TelegramMessage, is_placeholder, json_times, missing_reason

# Where chats sit in either shape: the root of a single-chat export, the items of the account lists.
_CHAT_PREFIXES = ("", "chats.list.item", "left_chats.list.item")
_HEADER_KEYS = ("name", "type", "id")
_DEPTH = {"start_map": 1, "start_array": 1, "end_map": -1, "end_array": -1}


class _CountingReader:
    """Counts the bytes ijson has pulled, so a parse error can say roughly where the file broke."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw, self.offset = raw, 0

    def read(self, size: int = -1) -> bytes:
        chunk = self.raw.read(size)
        self.offset += len(chunk)
        return chunk


def iter_json_messages(path: Path) -> Iterator[TelegramMessage | Skipped]:
    """Every message of every chat in ``path``, in file order; SourceError if the JSON is broken."""
    try:
        raw = path.open("rb")
    except OSError as exc:
        raise SourceError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    with raw:
        reader = _CountingReader(raw)
        try:
            yield from _walk(ijson.parse(reader, use_float=True), path)
        except ijson.JSONError as exc:
            reason = " ".join(str(exc).split())[:200] or type(exc).__name__
            raise SourceError(f"{path}: broken JSON at or before byte {reader.offset:,}: {reason}") from exc


def _walk(events: Iterator[tuple[str, str, Any]], path: Path) -> Iterator[TelegramMessage | Skipped]:
    chats: dict[str, dict[str, Any]] = {}
    seen_any = False
    for prefix, event, value in events:
        if event == "start_map" and prefix in _CHAT_PREFIXES:
            chats[prefix] = {}
            continue
        parent, _, key = prefix.rpartition(".")
        if key in _HEADER_KEYS and parent in _CHAT_PREFIXES and event in ("string", "number"):
            chats.setdefault(parent, {})[key] = value
            continue
        if prefix.endswith("messages.item") and event not in ("end_map", "end_array"):
            chat_prefix = prefix.removesuffix("messages.item").rstrip(".")
            if chat_prefix in _CHAT_PREFIXES:
                seen_any = True
                raw = _build(event, value, events)
                yield _message(raw, chats.get(chat_prefix, {}), path)
    if not seen_any and not chats.get("", {}).get("id") and "chats.list.item" not in chats:
        raise SourceError(f"{path}: not a Telegram Desktop export (no chat with messages found)")


def _build(first: str, value: Any, events: Iterator[tuple[str, str, Any]]) -> Any:
    """Build the value whose first event was just read, consuming events up to its end."""
    builder = ijson.ObjectBuilder()
    builder.event(first, value)
    depth = _DEPTH.get(first, 0)
    while depth:
        _, event, value = next(events)
        builder.event(event, value)
        depth += _DEPTH.get(event, 0)
    return builder.value


def _message(raw: Any, chat: dict[str, Any], path: Path) -> TelegramMessage | Skipped:
    chat_id = chat.get("id")
    message_id = raw.get("id") if isinstance(raw, dict) else None
    if chat_id is None:
        raise SourceError(f"{path}: chat {chat.get('name')!r} lists messages before its id; cannot name them")
    if not isinstance(message_id, int) or isinstance(message_id, bool):
        return Skipped(f"telegram:{chat_id}/?", f"{path}: a message in chat {chat_id} has no numeric id "
                       f"({str(message_id)[:40]!r})", "bad_message")
    service = raw.get("type") == "service"
    posted_at, local, offset = json_times(_str(raw.get("date")), raw.get("date_unixtime"))
    media_type, ref, declared = _media(raw)
    return TelegramMessage(
        chat_key=str(chat_id),
        chat_id=_int(chat_id),
        chat_name=_str(chat.get("name")),
        chat_type=_str(chat.get("type")),
        message_id=message_id,
        message_type=_str(raw.get("type")) or "message",  # "message", "service" or "unsupported"
        action=_str(raw.get("action")),
        posted_at=posted_at,
        posted_at_local=local,
        utc_offset=offset,
        poster=_str(raw.get("actor" if service else "from")),
        poster_id=_str(raw.get("actor_id" if service else "from_id")),
        via_bot=_str(raw.get("via_bot")),
        forwarded_from=_str(raw.get("forwarded_from")),
        forwarded_from_id=_str(raw.get("forwarded_from_id")),
        reply_to_message_id=_int(raw.get("reply_to_message_id")),
        reply_to_peer_id=_str(raw.get("reply_to_peer_id")),
        edited_at=json_times(_str(raw.get("edited")), raw.get("edited_unixtime"))[0],
        caption=flatten_text(raw.get("text")),
        media_type=media_type,
        mime_type=_str(raw.get("mime_type")) if media_type else None,
        media_ref=None if ref is None or is_placeholder(ref) else ref,
        missing_reason=missing_reason(ref) if ref is not None and is_placeholder(ref) else None,
        declared_size=_int(declared),
        width=_int(raw.get("width")) if media_type else None,
        height=_int(raw.get("height")) if media_type else None,
        duration_seconds=_int(raw.get("duration_seconds")) if media_type else None,
        export_format="json",
        export_file=path.name,
    )


def _media(raw: dict[str, Any]) -> tuple[str | None, str | None, Any]:
    """(media type, path text, declared size); photos carry no ``media_type`` in the JSON."""
    if isinstance(raw.get("photo"), str):
        return "photo", raw["photo"], raw.get("photo_file_size")
    if isinstance(raw.get("file"), str):
        return _str(raw.get("media_type")) or "file", raw["file"], raw.get("file_size")
    return None, None, None


def flatten_text(text: Any) -> str:
    """A message text is a string or a list of strings and ``{type, text}`` entities; join what shows."""
    if isinstance(text, str):
        return text
    if isinstance(text, list):
        return "".join(part if isinstance(part, str) else _str(part.get("text")) or ""
                       for part in text if isinstance(part, (str, dict)))
    return ""


def _str(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    return str(value)


def _int(value: Any) -> int | None:
    try:
        return int(value) if value is not None and not isinstance(value, bool) else None
    except (TypeError, ValueError):
        return None
