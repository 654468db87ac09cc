"""Telegram Desktop's default, human-readable export: ``messages.html``, ``messages2.html``, …

Read with the standard library's ``html.parser`` into a small tree, one file at a time (Desktop writes at
most 1,000 messages per file, so memory stays bounded). The HTML carries less than the JSON: no chat id or
type, no user ids, MIME types or edit times (see ``HTML_UNKNOWN_FIELDS``); what it does carry is read the
way Desktop's ``export_output_html.cpp`` writes it.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from reclaim.errors import SourceError
from reclaim.models import Skipped
from reclaim.sources.telegram_common import TelegramMessage, html_times, missing_reason

_VOID = frozenset({"br", "img", "meta", "link", "input", "hr", "source", "wbr"})
_MESSAGE_ID = re.compile(r"^message(-?\d+)$")
_GO_TO = re.compile(r"go_?to_?message(\d+)", re.IGNORECASE)
_LINE_BREAK = "\u2028"  # stands for <br> until raw layout newlines are dropped
# The wrapper class of a downloaded file, or the title of a generic media block -> media type.
_WRAPS = {"photo_wrap": "photo", "sticker_wrap": "sticker", "animated_wrap": "animation",
          "video_file_wrap": "video_file"}
_TITLES = {"photo": "photo", "self-destructing photo": "photo", "sticker": "sticker", "animation": "animation",
           "video file": "video_file", "self-destructing video": "video_file", "video message": "video_message",
           "voice message": "voice_message"}
_GENERIC = {"media_voice_message": "voice_message", "media_audio_file": "audio_file", "media_file": "file"}


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    children: list[Node | str] = field(default_factory=list)

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    def find_all(self, cls: str, *, deep: bool = True) -> Iterator[Node]:
        """Descendants with class ``cls`` in document order; ``deep=False`` stops at each match."""
        for child in self.children:
            if isinstance(child, Node):
                if cls in child.classes:
                    yield child
                    if not deep:
                        continue
                yield from child.find_all(cls, deep=deep)

    def find(self, cls: str) -> Node | None:
        return next(self.find_all(cls), None)

    def child(self, cls: str) -> Node | None:
        return next((c for c in self.children if isinstance(c, Node) and cls in c.classes), None)

    def text(self) -> str:
        parts: list[str] = []
        for child in self.children:
            if isinstance(child, str):
                parts.append(child)
            elif child.tag == "br":
                parts.append(_LINE_BREAK)
            else:
                parts.append(child.text())
        return "".join(parts)


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#root", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in _VOID:
            self.stack.append(node)

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self.stack) - 1, 0, -1):  # tolerate unclosed tags: pop to the match
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse_html(path: Path) -> Node:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise SourceError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    builder = _TreeBuilder()
    builder.feed(text)
    builder.close()
    return builder.root


def chat_name(page: Node) -> str | None:
    header = page.find("page_header")
    title = header.find("text") if header else None
    return " ".join(title.text().split()) if title else None


def iter_html_messages(
    files: list[Path], root: Path, chat_key: Callable[[str], str]
) -> Iterator[TelegramMessage | Skipped]:
    """Messages of one chat spread over ``files`` (in order); joined messages inherit the sender.

    ``chat_key`` turns the chat's name into the chat part of locators (HTML has no chat id).
    """
    state: dict[str, str | None] = {"poster": None, "via_bot": None, "forwarded_from": None}
    name = key = None
    for path in files:
        page = parse_html(path)
        name = name or chat_name(page)
        if name is None:
            raise SourceError(f"{path}: not a Telegram Desktop HTML export (no chat header found)")
        key = key or chat_key(name)
        for node in page.find_all("message", deep=False):
            if not node.attrs.get("id", "").startswith("message-"):  # message-1, -2…: date separators
                yield _message(node, key, name, path, root, state)


def _message(node: Node, chat_key: str, name: str, path: Path, root: Path,
             state: dict[str, str | None]) -> TelegramMessage | Skipped:
    match = _MESSAGE_ID.match(node.attrs.get("id", ""))
    if match is None:
        return Skipped(f"telegram:{chat_key}/?", f"{path}: a message block has no usable id "
                       f"({node.attrs.get('id', '')[:40]!r})", "bad_message")
    service = "service" in node.classes
    body = node.child("body")
    date = body.child("date") if body else None
    posted_at, local, offset = html_times(date.attrs.get("title") if date else None)
    if not service and body is not None and "joined" not in node.classes:
        sender = body.child("from_name")
        poster, _, via = " ".join(sender.text().split()).partition(" via @") if sender else ("", "", "")
        state.update(poster=poster or None, via_bot=f"@{via}" if via else None, forwarded_from=None)
    forwarded = body.child("forwarded") if body else None
    if forwarded is not None:
        original = forwarded.child("from_name")
        if original is not None:
            shown = [c for c in original.children if not (isinstance(c, Node) and "date" in c.classes)]
            state["forwarded_from"] = " ".join(Node("div", {}, shown).text().split()).partition(" via @")[0]
    text_node = node.find("text")
    media_type, ref, missing = _media(node, service)
    return TelegramMessage(
        chat_key=chat_key, chat_id=None, chat_name=name, chat_type=None,
        message_id=int(match.group(1)),
        message_type="service" if service else "message",
        action=None,
        posted_at=posted_at, posted_at_local=local, utc_offset=offset,
        poster=None if service else state["poster"],
        poster_id=None,
        via_bot=None if service else state["via_bot"],
        forwarded_from=state["forwarded_from"] if forwarded is not None else None,
        forwarded_from_id=None,
        reply_to_message_id=_reply_to(node),
        reply_to_peer_id=None,
        edited_at=None,
        caption=_caption(text_node) if text_node and not service else "",
        media_type=media_type,
        mime_type=None,
        media_ref=_relative(ref, path, root) if ref else None,
        missing_reason=missing,
        declared_size=None, width=None, height=None, duration_seconds=None,
        export_format="html",
        export_file=path.relative_to(root).as_posix(),
    )


def _media(node: Node, service: bool) -> tuple[str | None, str | None, str | None]:
    """(media type, href, missing reason) of the message's media block, if it holds a photo/video/file."""
    if service:
        link = node.find("userpic_link")
        return ("photo", link.attrs.get("href"), None) if link and link.attrs.get("href") else (None, None, None)
    wrap = node.find("media_wrap")
    if wrap is None:
        return None, None, None
    for cls, wrapped in _WRAPS.items():
        anchor = wrap.find(cls)
        if anchor is not None:
            return wrapped, anchor.attrs.get("href") or None, None if anchor.attrs.get("href") else "not_included"
    block = wrap.find("media")
    if block is None:
        return None, None, None
    title_node = block.find("title")
    title = " ".join(title_node.text().split()).lower() if title_node else ""
    kind = next((k for c, k in _GENERIC.items() if c in block.classes), None)
    if kind is None and {"media_photo", "media_video"} & block.classes:
        kind = _TITLES.get(title)
    if kind is None:
        return None, None, None  # a call, contact, location, poll, game or invoice: no media file
    href = block.attrs.get("href") if block.tag == "a" else None
    if href:
        return kind, href, None
    description = block.find("description")
    return kind, None, missing_reason(description.text() if description else "")


def _relative(href: str, page: Path, root: Path) -> str:
    """An href is relative to its HTML file; media paths are reported relative to the export root."""
    if href.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", href):
        return href  # absolute: left as written so the source refuses it
    return posixpath.normpath(posixpath.join(page.parent.relative_to(root).as_posix(), href))


def _reply_to(node: Node) -> int | None:
    reply = node.find("reply_to")
    if reply is None:
        return None
    for anchor in (c for c in _walk(reply) if c.tag == "a"):
        found = _GO_TO.search(anchor.attrs.get("onclick", "") + " " + anchor.attrs.get("href", ""))
        if found:
            return int(found.group(1))
    return None


def _walk(node: Node) -> Iterator[Node]:
    for child in node.children:
        if isinstance(child, Node):
            yield child
            yield from _walk(child)


def _caption(node: Node) -> str:
    """Desktop writes newlines as <br> and lays out blocks with raw newlines + indents: keep only the former."""
    raw = node.text()
    raw = raw.removeprefix("\n")
    raw = re.sub(r"\n *$", "", raw)
    return raw.replace("\n", "").replace(_LINE_BREAK, "\n")
