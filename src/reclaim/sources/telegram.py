"""A Telegram Desktop export folder: every message with media, with who posted it, where and when.

Both export formats are read: machine-readable JSON (``result.json``, preferred when both are present)
and the default HTML (``messages.html``, ``messages2.html``…; a full-account export keeps one folder per
chat under ``chats/``). Each media message becomes one ``MediaItem`` at ``telegram:<chat>/<message id>``
whose context carries the message (see ``TelegramMessage``) plus ``media_path``, ``missing_media`` and
``size``. Media the export left out is still an item (``missing_media: true``): a message that posted a
file is evidence even without the file. A media path that leaves the export folder (``../``, absolute,
a symlink out) is skipped with ``path_escapes_root`` and never read. Media that is neither photo nor video
by its type (voice, audio, documents, SVG, Lottie stickers) is ``bytes_only``: hashed, not decoded.
"""

from __future__ import annotations

import mimetypes
import os
import posixpath
import re
from collections.abc import Iterator
from pathlib import Path, PureWindowsPath
from urllib.parse import quote

from reclaim.errors import SourceError
from reclaim.media import Limits
from reclaim.models import MediaItem, Skipped
from reclaim.sources.base import Source
from reclaim.sources.telegram_common import TelegramMessage
from reclaim.sources.telegram_html import iter_html_messages
from reclaim.sources.telegram_json import iter_json_messages

_HTML_PAGE = re.compile(r"^messages(\d*)\.html$")
_SNIFF_BYTES = 64 * 1024


class TelegramExportSource(Source):
    name = "telegram"

    def __init__(self, target: str, *, limits: Limits = Limits()) -> None:
        super().__init__(target, limits=limits)
        given = Path(target).expanduser()
        if not given.exists():
            raise SourceError(f"{target}: no such file or folder")
        self.json_path = given.resolve() if given.is_file() else _json_in(given)
        self.root = (given.parent if given.is_file() else given).resolve()
        self.html_chats = [] if self.json_path else _html_chats(self.root)
        if self.json_path is None and not self.html_chats:
            raise SourceError(f"{target}: not a Telegram Desktop export (no result.json or messages.html)")
        self.target = str(self.json_path or self.root)

    @classmethod
    def claims(cls, target: str) -> bool:
        path = Path(target).expanduser()
        if path.is_dir():
            return _json_in(path) is not None or bool(_html_chats(path))
        return path.is_file() and path.suffix.lower() == ".json" and _looks_like_export(path)

    def iter_messages(self) -> Iterator[TelegramMessage | Skipped]:
        """Every message (text-only and service messages too), in export order."""
        if self.json_path is not None:
            yield from iter_json_messages(self.json_path)
            return
        keys: set[str] = set()

        def chat_key(name: str) -> str:
            key = base = quote(name, safe="") or "chat"
            counter = 1
            while key in keys:  # two chats with one name in an account export
                counter += 1
                key = f"{base}~{counter}"
            keys.add(key)
            return key

        for files in self.html_chats:
            yield from iter_html_messages(files, self.root, chat_key)

    def iter_items(self, resume_after: str | None = None) -> Iterator[MediaItem | Skipped]:
        resumed = resume_after is None
        seen: set[str] = set()
        for entry in self.iter_messages():
            if not resumed:
                resumed = entry.locator == resume_after
                continue
            if isinstance(entry, Skipped):
                yield entry
            elif entry.locator in seen:
                yield Skipped(entry.locator, f"{entry.locator}: message id appears twice in {entry.export_file}; "
                              "only the first is used", "duplicate_message")
            elif entry.media_type is not None:
                seen.add(entry.locator)
                yield self._item(entry)
        if not resumed:
            raise SourceError(f"{self.target}: cannot resume after {resume_after}: not in this export")

    def _item(self, message: TelegramMessage) -> MediaItem | Skipped:
        context = message.context()
        ref = message.media_ref
        if ref is None:
            return MediaItem(message.locator, context={**context, "media_path": None, "missing_media": True,
                                                        "size": None})
        shown = posixpath.normpath(ref.replace("\\", "/"))
        escape = Skipped(message.locator, f"{message.locator}: media path {ref!r} leaves the export folder "
                         f"{self.root}; not read", "path_escapes_root")
        if ref.startswith(("/", "\\")) or PureWindowsPath(ref).is_absolute() or PureWindowsPath(ref).drive:
            return escape
        try:
            resolved = (self.root / shown).resolve()
        except (OSError, RuntimeError, ValueError):  # ValueError: a NUL byte in the path (found by fuzzing)
            return Skipped(message.locator, f"{message.locator}: media path {ref!r} cannot be resolved "
                           "(symlink loop or NUL byte?)", "unreadable_file")
        if not resolved.is_relative_to(self.root):
            return escape
        try:
            size = resolved.stat().st_size if resolved.is_file() else None
        except OSError:
            size = None
        if size is None:
            return MediaItem(message.locator, context={**context, "media_path": shown, "missing_media": True,
                                                        "missing_reason": "not_found", "size": None})
        return MediaItem(message.locator, resolved, context={**context, "media_path": shown,
                                                              "missing_media": False, "size": size},
                         bytes_only=not _visual(message.media_type, message.mime_type, shown))


def _visual(media_type: str | None, mime_type: str | None, path: str) -> bool:
    """Whether the media is a photo or video to decode, by the export's type and MIME type (or, where the
    HTML export gives none, by the file name)."""
    if media_type == "photo":
        return True
    if media_type in ("voice_message", "audio_file"):
        return False
    mime = (mime_type or mimetypes.guess_type(path)[0] or "").lower()
    if not mime:
        return True  # unknown: try to decode, and say so if it fails
    return mime.startswith(("image/", "video/")) and mime != "image/svg+xml"


def _json_in(folder: Path) -> Path | None:
    path = folder / "result.json"
    return path.resolve() if path.is_file() else None


def _html_chats(root: Path) -> list[list[Path]]:
    """The HTML pages of each chat, in order: the root's own (single-chat export), then ``chats/*/``."""
    folders = [root]
    chats = root / "chats"
    if chats.is_dir():
        folders += sorted((p for p in chats.iterdir() if p.is_dir() and not p.is_symlink()), key=lambda p: p.name)
    found = []
    for folder in folders:
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        pages = sorted((int(m.group(1) or 1), folder / name) for name in names
                       if (m := _HTML_PAGE.match(name)) and (folder / name).resolve().is_relative_to(root.resolve()))
        if pages:
            found.append([path for _, path in pages])
    return found


def _looks_like_export(path: Path) -> bool:
    """A ``.json`` file not named result.json is claimed only if its start reads like a Desktop export."""
    if path.name == "result.json":
        return True
    try:
        with path.open("rb") as fh:
            head = fh.read(_SNIFF_BYTES)
    except OSError:
        return False
    return head.lstrip().startswith(b"{") and (b'"messages"' in head or b'"chats"' in head)
