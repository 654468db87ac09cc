"""Capture messages of one joined chat into a case: media into the vault, items matched as a scan, custody.

Per batch of messages, in this order, so that a kill at any point loses nothing and duplicates nothing:

1. each message's media is downloaded into memory and put straight into the case's encrypted vault;
2. the batch is scanned like any source (``scan.scan_source`` on in-memory bytes: hashes, banks, keypoints,
   enrolled faces), which commits the items and their matches;
3. one custody entry per message is appended (``item.acquired`` for a message with media, else
   ``telegram.message_captured``), in message order, with the account and the chat's identifiers.

The custody log is what resuming reads: the next run starts after the highest message id it records for
the chat, so a message whose items were committed but whose entry was not is captured again (the item is
rewritten in place, the vault keeps one copy) and gets exactly one entry. Edits and deletions seen while
following are appended as their own entries and noted on the item (``edits``, ``deleted_seen_at``); what was
captured first is never overwritten.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from hashlib import sha256
from typing import Any

from sqlalchemy import select

from reclaim.cases.service import get_case
from reclaim.errors import ExternalError, MediaError
from reclaim.evidence.acquisition import ACQUIRED
from reclaim.evidence.blur import blurred_thumbnail
from reclaim.evidence.casefiles import CaseFiles
from reclaim.evidence.custody import utc_now
from reclaim.identities.matcher import FaceMatch, describe_face
from reclaim.matching.keypoints import Mode
from reclaim.media import Limits, decode_image
from reclaim.models import Match, MediaItem, Skipped
from reclaim.scan.scanner import scan_source
from reclaim.sources.base import Source
from reclaim.sources.telegram import _visual
from reclaim.sources.telegram_common import TelegramMessage
from reclaim.store import Store
from reclaim.store.models import Item
from reclaim.telegram.client import Adapter, Chat
from reclaim.telegram.mapping import People, sender_peer, to_message
from reclaim.vault import Vault

log = logging.getLogger(__name__)

SOURCE = "telegram-capture"
CAPTURED = "telegram.message_captured"  # a message without media (one with media is an item.acquired)
STARTED = "telegram.capture_started"
EDITED = "telegram.message_edited"
DELETED = "telegram.message_deleted"
BATCH = 16


@dataclass(frozen=True)
class Event:
    """Something the capture did, for progress display: captured, match, edited, deleted."""

    kind: str
    message_id: int
    locator: str
    detail: str = ""
    preview: bytes | None = None  # a blurred JPEG, only when previews were asked for


@dataclass
class Totals:
    messages: int = 0
    media: int = 0
    matches: int = 0
    edits: int = 0
    deletions: int = 0
    failed: list[Skipped] = field(default_factory=list)


class _Batch(Source):
    """The batch's items as a scan source (bytes already in memory)."""

    name = "telegram-capture"

    def __init__(self, target: str, items: list[MediaItem], limits: Limits) -> None:
        super().__init__(target, limits=limits)
        self.items = items

    @classmethod
    def claims(cls, target: str) -> bool:
        return False

    def iter_items(self, resume_after: str | None = None) -> Iterator[MediaItem | Skipped]:
        return iter(self.items)


class Capture:
    """One chat being captured into one case by one account."""

    def __init__(self, adapter: Adapter, store: Store, files: CaseFiles, vault: Vault | Callable[[], Vault], *,
                 actor: str,
                 limits: Limits = Limits(), mode: Mode = Mode.FAST, previews: bool = False,
                 on_event: Callable[[Event], None] | None = None) -> None:
        self.adapter, self.store, self.files, self._vault = adapter, store, files, vault
        self.actor, self.limits, self.mode, self.previews, self.on_event = actor, limits, mode, previews, on_event
        self.totals = Totals()
        self.chat: Chat | None = None
        self.me: Any = None
        self.last_id = 0

    @property
    def vault(self) -> Vault:
        """The case vault, opened (or made) on first use: a refused chat leaves no vault and no log behind."""
        if not isinstance(self._vault, Vault):
            self._vault = self._vault()
        return self._vault

    async def start(self, ref: str) -> Chat:
        """Resolve the chat (refused unless joined), find where an earlier capture stopped, log the start."""
        self.me = await self.adapter.me()
        chat = self.chat = await self.adapter.resolve(ref)
        self.last_id = last_captured(self.files, chat.key, self.actor)
        self.files.record(self.actor, STARTED, None, {**self._ids(), "resumed_after": self.last_id or None})
        return chat

    async def backfill(self, since: datetime | None = None) -> int:
        """Capture every message after the last one captured (and after ``since``); return how many."""
        chat, count, batch = self.require_chat(), 0, []
        async for message in self.adapter.messages(chat, self.last_id, since):
            batch.append(message)
            if len(batch) >= BATCH:
                count += await self.capture(batch)
                batch = []
        return count + (await self.capture(batch) if batch else 0)

    async def capture(self, messages: list[Any]) -> int:
        """Capture these messages (steps 1-3 of the module docstring); those at or before ``last_id`` are skipped."""
        fresh = sorted((m for m in messages if m.id > self.last_id and _is_message(m)), key=lambda m: m.id)
        if not fresh:
            return 0
        prepared = [await self._prepare(m) for m in fresh]
        items = [item for _, item, _ in prepared if item is not None]
        report = scan_source(self.store, self.files.case_name, _Batch(f"telegram:{self.require_chat().key}", items,
                             self.limits), workers=1, limits=self.limits, actor=self.actor, mode=self.mode,
                             custody=False)  # each message's own entry follows, with its Telegram ids
        self.totals.failed += report.failed
        entries = [(ACQUIRED if item is not None else CAPTURED, sha, details) for _, item, (sha, details) in prepared]
        self.files.record_many(self.actor, entries)
        self.last_id = fresh[-1].id
        for tm, item, (_, details) in prepared:
            self._report(tm.message_id, item, details, report.matches.get(tm.locator, []),
                         report.face_matches.get(tm.locator, []))
        return len(fresh)

    async def edited(self, message: Any) -> None:
        """An edit seen while following: logged as its own entry, noted on the item, the original kept."""
        if message.id > self.last_id:
            await self.capture([message])  # not captured yet: its edited form is what there is to capture
            return
        tm = await self._map(message)
        sha, new_locator = None, None
        if tm.media_type is not None:
            data = await self._download(message, tm)
            if data is not None:
                sha = sha256(data).hexdigest()
                stamp = int(message.edit_date.timestamp()) if message.edit_date else 0
                replaced = f"{tm.locator}#edit-{stamp}"
                # The media itself was replaced (and this edit not seen before): keep both.
                if sha not in (self._stored_sha(tm.locator), self._stored_sha(replaced)):
                    new_locator = replaced
                    self.vault.put_bytes(data)
                    item = self._item(tm, data)
                    item = replace(item, locator=new_locator, context={**item.context, "edit_of": tm.locator})
                    report = scan_source(self.store, self.files.case_name, _Batch(f"telegram:{tm.chat_key}", [item],
                                         self.limits), workers=1, limits=self.limits, actor=self.actor,
                                         mode=self.mode, custody=False)
                    self._report_matches(message.id, new_locator, report.matches.get(new_locator, []),
                                         report.face_matches.get(new_locator, []))
        seen = utc_now()
        note = {"edited_at": tm.edited_at, "caption": tm.caption, "sha256": sha, "media_locator": new_locator,
                "seen_at": seen}
        self._annotate(tm.locator, lambda ctx: ctx.setdefault("edits", []).append(note))
        entries = [(EDITED, sha, {**self._ids(), "locator": tm.locator, "message_id": message.id, **note})]
        if new_locator is not None:  # the replacing media is an item of its own, acquired now
            entries.append((ACQUIRED, sha, {**self._ids(), "locator": new_locator, "message_id": message.id,
                                            "edit_of": tm.locator, "captured_at": seen}))
        self.files.record_many(self.actor, entries)
        self.totals.edits += 1
        self._emit(Event("edited", message.id, tm.locator, tm.caption[:60]))

    def deleted(self, ids: list[int]) -> None:
        """Deletions seen while following: one entry each; a captured item is marked, never removed."""
        chat, seen = self.require_chat(), utc_now()
        entries = []
        for message_id in sorted(ids):
            locator = f"telegram:{chat.key}/{message_id}"
            entries.append((DELETED, None, {**self._ids(), "locator": locator, "message_id": message_id,
                                            "seen_at": seen, "was_captured": message_id <= self.last_id}))
            self._annotate(locator, lambda ctx: ctx.setdefault("deleted_seen_at", seen))
            self._emit(Event("deleted", message_id, locator))
        self.files.record_many(self.actor, entries)
        self.totals.deletions += len(entries)

    async def _prepare(
            self, message: Any) -> tuple[TelegramMessage, MediaItem | None, tuple[str | None, dict[str, Any]]]:
        """Map one message, download its media into the vault, and say what its custody entry records."""
        tm = await self._map(message)
        item, sha = None, None
        if tm.media_type is not None:
            data = await self._download(message, tm)
            if data is None:
                item = self._missing(tm)
            else:
                sha = self.vault.put_bytes(data)
                item = self._item(tm, data)
        details = {**self._ids(), "locator": tm.locator, "message_id": tm.message_id, "posted_at": tm.posted_at,
                   "edited_at": tm.edited_at, "poster_id": tm.poster_id, "media_type": tm.media_type,
                   "size": item.context.get("size") if item is not None else None,
                   "missing_media": bool(item is not None and item.context.get("missing_media")),
                   "captured_at": item.context["captured_at"] if item is not None else utc_now()}
        return tm, item, (sha, details)

    async def _map(self, message: Any) -> TelegramMessage:
        from telethon.tl.types import PeerUser

        chat = self.require_chat()
        poster_peer = sender_peer(message, chat, getattr(self.me, "id", None))
        fwd = getattr(message, "fwd_from", None)
        via = getattr(message, "via_bot_id", None)
        people = People(
            poster_peer=poster_peer,
            poster=chat.entity if _same_peer(poster_peer, chat) else await self.adapter.entity(poster_peer),
            forwarded_from=await self.adapter.entity(fwd.from_id) if fwd is not None and fwd.from_id else None,
            via_bot=await self.adapter.entity(PeerUser(via)) if via else None,
        )
        return to_message(message, chat, people)

    async def _download(self, message: Any, tm: TelegramMessage) -> bytes | None:
        """The media bytes, or None when too large to hold in memory or Telegram will not serve them."""
        if tm.declared_size is not None and tm.declared_size > self.limits.max_file_bytes:
            log.warning("%s: %s bytes, over the in-memory limit; recorded without its file", tm.locator,
                        tm.declared_size)
            return None
        from telethon.errors import RPCError

        try:
            return await self.adapter.download(message)
        except (ExternalError, RPCError) as exc:  # this message only (expired reference, media gone, ...)
            log.warning("%s: media not downloaded: %s", tm.locator, exc)
            return None

    def _item(self, tm: TelegramMessage, data: bytes) -> MediaItem:
        context = {**tm.context(), "media_path": None, "missing_media": False, "size": len(data),
                   **self._capture_fields()}
        return MediaItem(tm.locator, data=data, context=context,
                         bytes_only=not _visual(tm.media_type, tm.mime_type, ""))

    def _missing(self, tm: TelegramMessage) -> MediaItem:
        too_large = tm.declared_size is not None and tm.declared_size > self.limits.max_file_bytes
        return MediaItem(tm.locator, context={**tm.context(), "media_path": None, "missing_media": True,
                                              "missing_reason": "too_large" if too_large else "unavailable",
                                              "size": None, **self._capture_fields()})

    def _capture_fields(self) -> dict[str, Any]:
        return {"captured_at": utc_now(), "captured_by": f"telegram:user{getattr(self.me, 'id', '')}"}

    def _ids(self) -> dict[str, Any]:
        chat = self.require_chat()
        return {"source": SOURCE, "chat_key": chat.key, "chat_id": chat.id, "chat_peer": chat.peer_id,
                "chat_name": chat.name, "chat_type": chat.type, "account_id": getattr(self.me, "id", None),
                "account": getattr(self.me, "username", None)}

    def _stored_sha(self, locator: str) -> str | None:
        with self.store.session() as session:
            case = get_case(session, self.files.case_name)
            return session.scalar(select(Item.sha256).where(Item.case_id == case.id, Item.locator == locator))

    def _annotate(self, locator: str, change: Callable[[dict[str, Any]], Any]) -> None:
        with self.store.session() as session:
            case = get_case(session, self.files.case_name)
            item = session.scalar(select(Item).where(Item.case_id == case.id, Item.locator == locator))
            if item is not None:
                context = copy.deepcopy(item.context or {})  # nested lists too: the column compares old and new
                change(context)
                item.context = context

    def _report(self, message_id: int, item: MediaItem | None, details: dict[str, Any], matches: list[Match],
                faces: list[FaceMatch]) -> None:
        self.totals.messages += 1
        self.totals.media += item is not None and not details["missing_media"]
        preview = _preview(item, self.limits) if self.previews and item is not None else None
        self._emit(Event("captured", message_id, details["locator"], details.get("media_type") or "text", preview))
        self._report_matches(message_id, details["locator"], matches, faces)

    def _report_matches(self, message_id: int, locator: str, matches: list[Match], faces: list[FaceMatch]) -> None:
        """A known image or an enrolled face: each is a match, alerted alike."""
        for match in matches:
            self.totals.matches += 1
            self._emit(Event("match", message_id, locator,
                             f"{match.bank}/{match.content_id} ({match.signal}, distance {match.distance:g})"))
        for face in faces:
            self.totals.matches += 1
            self._emit(Event("match", message_id, locator,
                             f"enrolled face of {face.identity}: {describe_face(face.as_json())}"))

    def _emit(self, event: Event) -> None:
        if self.on_event is not None:
            self.on_event(event)

    def require_chat(self) -> Chat:
        if self.chat is None:
            raise RuntimeError("Capture.start() must run first")
        return self.chat


def captured_ids(files: CaseFiles, chat_key: str, actor: str) -> set[int]:
    """The message ids of ``chat_key`` that the case's custody log records as captured."""
    if not files.log_path.exists():
        return set()
    return {int(e.details.get("message_id") or 0) for e in files.custody(actor).entries()
            if e.action in (ACQUIRED, CAPTURED) and e.details.get("source") == SOURCE
            and e.details.get("chat_key") == chat_key}


def last_captured(files: CaseFiles, chat_key: str, actor: str) -> int:
    """Where a capture of ``chat_key`` resumes: after the highest id captured (0: from the start)."""
    return max(captured_ids(files, chat_key, actor), default=0)


def _is_message(message: Any) -> bool:
    from telethon.tl.types import MessageEmpty

    return not isinstance(message, MessageEmpty)


def _same_peer(peer: Any, chat: Chat) -> bool:
    from reclaim.telegram.mapping import peer_id

    return peer_id(peer) == chat.peer_id


def _preview(item: MediaItem, limits: Limits) -> bytes | None:
    """A blurred thumbnail made from the bytes just hashed (whose sha256 is the item's), never the picture."""
    if item.data is None or item.bytes_only:
        return None
    try:
        return blurred_thumbnail(decode_image(item.data, item.locator, limits).rgb)
    except MediaError:
        return None
