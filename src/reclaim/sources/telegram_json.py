"""Telegram Desktop's machine-readable export (``result.json``), streamed with ijson.

A seized account's ``result.json`` can be gigabytes, so it is never loaded whole: parse events are walked
once, and only one message at a time is built into a dict. Both shapes are read: a single chat
(``{name, type, id, messages}``) and a full-account export (``chats.list[]``, ``left_chats.list[]``).

The file is hostile input: events are ``basic_parse`` ones, and the walker keeps only the keys of the open
containers, at most ``MAX_DEPTH`` (64) of them; anything nested deeper is skipped by counting, so neither
memory nor time grows with nesting (ijson's prefixes grew with it: 78 KB of '[' took 4 GB). A message that
cannot be read (too deep, invalid UTF-8, an id that is no 64-bit integer) is a ``Skipped`` with the reason,
and the rest of the export is read; only a broken JSON structure refuses the file.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import ijson
import ijson.backends.python as python_backend

from reclaim.errors import SourceError
from reclaim.models import Skipped
from reclaim.sources.telegram_common import TelegramMessage, is_placeholder, json_times, missing_reason

log = logging.getLogger(__name__)

# Where chats sit in either shape: the root of a single-chat export, the items of the account lists.
_CHAT_PATHS: tuple[tuple[str, ...], ...] = ((), ("chats", "list", "item"), ("left_chats", "list", "item"))
_HEADER_KEYS = ("name", "type", "id")
_DEPTH = {"start_map": 1, "start_array": 1, "end_map": -1, "end_array": -1}
MAX_DEPTH = 64  # containers open at once; a real export nests about 6 deep
# Stands for invalid UTF-8 (a noncharacter: no export writes it), so the message holding it can be told apart.
_INVALID = "\ufdd0"


class _CleanReader:
    """The file's bytes as valid UTF-8: each invalid sequence becomes ``_INVALID`` (so the message holding it
    is skipped with a reason instead of the parser refusing the whole export). Also counts bytes read, so a
    parse error can say roughly where the file broke."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw, self.offset, self.pending = raw, 0, b""

    def read(self, size: int = -1) -> bytes:
        if size == 0:
            return b""  # ijson asks for nothing to learn whether the file gives bytes or text
        chunk = self.raw.read(size if size > 0 else 1 << 16)
        self.offset += len(chunk)
        data, self.pending = self.pending + chunk, b""
        out: list[str] = []
        while data:
            try:
                out.append(data.decode("utf-8"))
                break
            except UnicodeDecodeError as exc:
                out.append(data[:exc.start].decode("utf-8"))
                if chunk and exc.end == len(data) and exc.reason == "unexpected end of data":
                    self.pending = data[exc.start:]  # a character cut by the chunk boundary
                    break
                out.append(_INVALID)
                data = data[exc.end:]
        return "".join(out).encode("utf-8") if chunk or out else b""


def iter_json_messages(path: Path, *, max_depth: int = MAX_DEPTH) -> Iterator[TelegramMessage | Skipped]:
    """Every message of every chat in ``path``, in file order; a message that cannot be read (nested deeper
    than ``max_depth``, invalid UTF-8, no usable id) is a ``Skipped`` with the reason, and the rest is read.
    SourceError if the JSON itself is broken."""
    given = 0
    for backend in (ijson, python_backend):
        try:
            raw = path.open("rb")
        except OSError as exc:
            raise SourceError(f"{path}: cannot read ({exc.strerror or exc})") from exc
        with raw:
            reader = _CleanReader(raw)
            try:
                events = backend.basic_parse(reader, use_float=True)
                if backend is python_backend:
                    events = _without_surrogates(events)
                walked = _Walker(path, reader, max_depth).walk(events)
                for number, entry in enumerate(walked):
                    if number >= given:  # a second pass starts where the first stopped
                        given += 1
                        yield entry
                return
            except ijson.JSONError as exc:
                reason = " ".join(str(exc).split())[:200] or type(exc).__name__
                if backend is ijson and "integer overflow" in reason:
                    # yajl refuses integers past 64 bits; the pure-Python parser (slower) reads them as ints
                    log.info("%s: an integer past 64 bits near byte %d; reading again with the Python parser",
                             path, reader.offset)
                    continue
                raise SourceError(f"{path}: broken JSON at or before byte {reader.offset:,}: {reason}") from exc


def _without_surrogates(events: Iterator[tuple[str, Any]]) -> Iterator[tuple[str, Any]]:
    """Lone surrogates (a JSON "\\ud800") as '?', as yajl gives them: text with them cannot be stored."""
    for event, value in events:
        if isinstance(value, str) and not value.isascii():
            value = value.encode("utf-8", "replace").decode("utf-8")
        yield event, value


class _Walker:
    """Walks ``basic_parse`` events keeping only the path's keys (bounded by ``max_depth``): no prefix string
    is ever built, so memory does not grow with nesting, and a value nested too deep is skipped by counting."""

    def __init__(self, path: Path, reader: _CleanReader, max_depth: int) -> None:
        self.path, self.reader, self.max_depth = path, reader, max_depth
        self.keys: list[str | None] = []  # per open container: the current map key, or "item" in an array
        self.chats: dict[tuple[str, ...], dict[str, Any]] = {}
        self.position = 0  # messages met so far: names a message whose id cannot be used

    def walk(self, events: Iterator[tuple[str, Any]]) -> Iterator[TelegramMessage | Skipped]:
        seen_any = False
        for event, value in events:
            if event == "map_key":
                self.keys[-1] = value
                continue
            if event in ("end_map", "end_array"):
                self.keys.pop()
                continue
            where = tuple(k or "" for k in self.keys)
            if where[-2:] == ("messages", "item") and where[:-2] in _CHAT_PATHS:
                seen_any = True
                yield self._message(event, value, events, self.chats.get(where[:-2], {}))
                continue
            if event in ("start_map", "start_array"):
                if len(self.keys) >= self.max_depth:
                    log.warning("%s: a value nested over %d deep (outside any message) was skipped", self.path,
                                self.max_depth)
                    _skip(event, events)
                    continue
                if event == "start_map" and where in _CHAT_PATHS:
                    self.chats[where] = {}
                self.keys.append("item" if event == "start_array" else None)
                continue
            if where and where[-1] in _HEADER_KEYS and where[:-1] in _CHAT_PATHS and event in ("string", "number"):
                self.chats.setdefault(where[:-1], {})[where[-1]] = (
                    value.replace(_INVALID, "\ufffd") if isinstance(value, str) else value)
        if not seen_any and not self.chats.get((), {}).get("id") and ("chats", "list", "item") not in self.chats:
            raise SourceError(f"{self.path}: not a Telegram Desktop export (no chat with messages found)")

    def _message(self, event: str, value: Any, events: Iterator[tuple[str, Any]], chat: dict[str, Any]
                 ) -> TelegramMessage | Skipped:
        start = self.reader.offset
        self.position += 1
        raw, too_deep, invalid = _build(event, value, events, self.max_depth - len(self.keys))
        chat_id = chat.get("id")
        message_id = raw.get("id") if isinstance(raw, dict) else None
        where = f"telegram:{chat_id}/{message_id if _plausible_id(message_id) else f'?{self.position}'}"
        if too_deep:
            return Skipped(where, f"{self.path}: a message in chat {chat_id} near byte {start:,} nests over "
                           f"{self.max_depth} levels deep; not read", "bad_message")
        if invalid:
            return Skipped(where, f"{self.path}: message {self.position} in chat {chat_id} has invalid UTF-8 "
                           "(bytes that are not text); not read", "bad_message")
        if not (isinstance(raw, dict) and isinstance(message_id, int) and _plausible_id(message_id)):
            return Skipped(where, f"{self.path}: message {self.position} in chat {chat_id} has no usable id "
                           f"({str(message_id)[:40]!r}: not an integer of at most 64 bits); not read", "bad_message")
        try:
            return _message(raw, message_id, chat, self.path)
        except (ValueError, TypeError, OverflowError, UnicodeError) as exc:  # hostile field values
            log.info("%s: message %s skipped: %s", self.path, where, exc)
            return Skipped(where, f"{self.path}: message {where} cannot be read ({type(exc).__name__}: "
                           f"{str(exc)[:120]})", "bad_message")


def _skip(first: str, events: Iterator[tuple[str, Any]]) -> None:
    """Consume the rest of a container whose first event was just read, holding nothing but a counter."""
    depth = _DEPTH.get(first, 0)
    while depth:
        depth += _DEPTH.get(next(events)[0], 0)


def _build(first: str, value: Any, events: Iterator[tuple[str, Any]], room: int) -> tuple[Any, bool, bool]:
    """(the value whose first event was just read, whether it nested deeper than ``room``, whether it holds
    invalid UTF-8), consuming events up to its end; a too-deep value is consumed by counting only."""
    builder = ijson.ObjectBuilder()
    builder.event(first, value)
    invalid = isinstance(value, str) and _INVALID in value
    depth = _DEPTH.get(first, 0)
    while depth:
        event, value = next(events)
        depth += _DEPTH.get(event, 0)
        if depth > room:
            while depth:
                depth += _DEPTH.get(next(events)[0], 0)
            return builder.value, True, invalid  # what was built so far: its id, if that came first
        invalid = invalid or (isinstance(value, str) and _INVALID in value)
        builder.event(event, value)
    return builder.value, False, invalid


def _plausible_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and -(1 << 63) <= value < (1 << 63)


def _message(raw: dict[str, Any], message_id: int, chat: dict[str, Any], path: Path) -> TelegramMessage:
    chat_id = chat.get("id")
    if chat_id is None:
        raise SourceError(f"{path}: chat {chat.get('name')!r} lists messages before its id; cannot name them")
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
