"""The small part of a Telegram client that capture uses, and the adapter that makes it safe to call.

``ChatClient`` is the interface: the names and signatures are Telethon's own (``TelegramClient`` satisfies it),
so tests inject a stand-in for the network that serves ``telethon.tl.types`` objects. ``Adapter`` adds what
capture needs on top: links resolved without ever joining (a chat the account has not joined is refused),
Telegram's flood-wait answers obeyed with growing backoff (never a tight retry loop), and a message stream that
restarts after a wait from the last message it yielded. Nothing here sends, joins, reacts or marks as read.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, TypeVar

from reclaim.errors import ExternalError, UserError

log = logging.getLogger(__name__)
T = TypeVar("T")
Sleep = Callable[[float], Awaitable[None]]
OnWait = Callable[[str, float], None]

MAX_FLOOD_RETRIES = 6
MAX_EXTRA_BACKOFF = 300.0
_LINK = re.compile(r"^(?:https?://)?(?:t\.me|telegram\.me)/(?P<rest>.+)$", re.IGNORECASE)


class ChatClient(Protocol):
    """The calls capture makes (Telethon's ``TelegramClient`` methods of the same names)."""

    async def get_entity(self, entity: Any) -> Any: ...
    async def get_me(self) -> Any: ...
    def iter_messages(self, entity: Any, *, min_id: int = 0, reverse: bool = False,
                      offset_date: datetime | None = None) -> AsyncIterator[Any]: ...
    async def download_media(self, message: Any, file: Any = None) -> Any: ...
    def add_event_handler(self, callback: Callable[[Any], Any], event: Any = None) -> None: ...


class NotJoined(UserError):
    """The account is not a member of the chat: Reclaim never joins one."""


@dataclass(frozen=True)
class Chat:
    """A resolved chat the account belongs to, with the ids an export would give it."""

    entity: Any
    key: str  # the chat part of locators: the bare id, as a Desktop JSON export's "id"
    id: int
    name: str
    type: str  # Desktop's chat types: private_channel, public_supergroup, personal_chat, ...
    peer_id: str  # channel123 / chat123 / user123


def parse_ref(ref: str) -> Any:
    """What to hand ``get_entity``: a peer for numeric ids and t.me/c links, else the username or invite link.

    ``-100<id>`` (the Bot API form) and ``https://t.me/c/<id>/...`` name a channel; a bare number is tried as a
    channel first, as exports and links name supergroups and channels that way.
    """
    from telethon.tl.types import PeerChannel, PeerChat

    text = ref.strip()
    if not text:
        raise UserError("give a chat: its t.me link, @username or numeric id")
    match = _LINK.match(text)
    if match:
        parts = match.group("rest").split("/")
        if parts[0] == "c" and len(parts) > 1 and parts[1].isdigit():
            return PeerChannel(int(parts[1]))
        if parts[0].startswith("+") or parts[0] == "joinchat":
            return text  # get_entity checks an invite link without joining (CheckChatInviteRequest)
        return parts[0]
    if re.fullmatch(r"-100\d+", text):
        return PeerChannel(int(text[4:]))
    if re.fullmatch(r"-\d+", text):
        return PeerChat(int(text[1:]))
    if text.isdigit():
        return PeerChannel(int(text))
    return text


def describe(entity: Any) -> Chat:
    """The chat's identity and Desktop type; NotJoined when the account has left or was never in it."""
    from telethon.tl.types import Channel, ChannelForbidden, ChatForbidden, User
    from telethon.tl.types import Chat as BasicChat

    if isinstance(entity, (ChannelForbidden, ChatForbidden)):
        raise NotJoined(f"chat {entity.id} ({entity.title!r}): this account was removed from it or cannot see it")
    if isinstance(entity, Channel):
        if entity.left:
            raise NotJoined(f"chat {entity.id} ({entity.title!r}): this account has not joined it; Reclaim never "
                            "joins chats: join it in Telegram yourself if your legal basis allows, then capture")
        kind = "supergroup" if entity.megagroup else "channel"
        access = "public" if entity.username else "private"
        return Chat(entity, str(entity.id), entity.id, entity.title, f"{access}_{kind}", f"channel{entity.id}")
    if isinstance(entity, BasicChat):
        if entity.left or entity.deactivated:
            raise NotJoined(f"chat {entity.id} ({entity.title!r}): this account has left it (or it was upgraded)")
        return Chat(entity, str(entity.id), entity.id, entity.title, "private_group", f"chat{entity.id}")
    if isinstance(entity, User):
        kind = "saved_messages" if entity.is_self else "bot_chat" if entity.bot else "personal_chat"
        return Chat(entity, str(entity.id), entity.id, display_name(entity) or str(entity.id), kind,
                    f"user{entity.id}")
    raise UserError(f"{type(entity).__name__} is not a chat Reclaim can capture")


def display_name(entity: Any) -> str | None:
    """A user's "first last", or a chat's title, as Desktop prints it in exports."""
    if entity is None:
        return None
    title = getattr(entity, "title", None)
    if title:
        return str(title)
    if getattr(entity, "deleted", False):
        return "Deleted Account"
    name = " ".join(p for p in (getattr(entity, "first_name", None), getattr(entity, "last_name", None)) if p)
    return name or None


class Adapter:
    """A ``ChatClient`` with flood waits obeyed and read-only use enforced by construction."""

    def __init__(self, client: ChatClient, *, sleep: Sleep = asyncio.sleep, on_wait: OnWait | None = None) -> None:
        self.client, self.sleep, self.on_wait = client, sleep, on_wait
        self._entities: dict[Any, Any] = {}

    async def resolve(self, ref: str) -> Chat:
        """The chat ``ref`` names, if the account is in it (NotJoined otherwise; never joins)."""
        try:
            entity = await self.call(f"resolve {ref}", lambda: self.client.get_entity(parse_ref(ref)))
        except ValueError as exc:  # Telethon: unknown, or a chat the account is not part of
            raise NotJoined(f"{ref}: {exc}") from exc
        return describe(entity)

    async def me(self) -> Any:
        return await self.call("who am I", self.client.get_me)

    async def entity(self, peer: Any) -> Any | None:
        """A user or chat by peer, cached; None when Telegram will not say (a hidden or unknown account)."""
        if peer is None:
            return None
        key = (type(peer).__name__, getattr(peer, "user_id", None) or getattr(peer, "channel_id", None)
               or getattr(peer, "chat_id", None))
        if key not in self._entities:
            try:
                self._entities[key] = await self.call("look up a poster", lambda: self.client.get_entity(peer))
            except (ValueError, TypeError) as exc:
                log.info("cannot resolve %s: %s", key, exc)
                self._entities[key] = None
        return self._entities[key]

    async def messages(self, chat: Chat, after_id: int, since: datetime | None = None) -> AsyncIterator[Any]:
        """Every message after ``after_id`` posted after ``since``, oldest first; a flood wait mid-stream is
        waited out and the stream restarted after the last message already yielded."""
        from telethon.errors import FloodWaitError

        last, attempt = after_id, 0
        while True:
            try:
                kwargs: dict[str, Any] = {"min_id": last, "reverse": True}
                if since is not None and last == 0:  # Telethon lets an id offset override a date offset
                    kwargs["offset_date"] = since
                async for message in self.client.iter_messages(chat.entity, **kwargs):
                    if message.id <= last or (since is not None and message.date <= since):
                        continue
                    last, attempt = message.id, 0
                    yield message
                return
            except FloodWaitError as exc:
                attempt = await self._wait(f"read {chat.name}", exc, attempt)

    async def download(self, message: Any) -> bytes:
        """The message's media, into memory only (``file=bytes``): it must never touch the disk unencrypted."""
        data = await self.call(f"download message {message.id}", lambda: self.client.download_media(message, bytes))
        if not isinstance(data, bytes):
            raise ExternalError(f"message {message.id}: Telegram returned no media bytes")
        return data

    def subscribe(self, chat: Chat, handler: Callable[[Any], None]) -> None:
        """Call ``handler`` with each raw new/edit/delete update (filtered to ``chat`` by the caller)."""

        async def on_update(update: Any) -> None:  # Telethon awaits its handlers
            handler(update)

        self.client.add_event_handler(on_update, _raw_event())

    async def call(self, what: str, make: Callable[[], Awaitable[T]]) -> T:
        from telethon.errors import FloodWaitError

        attempt = 0
        while True:
            try:
                return await make()
            except FloodWaitError as exc:
                attempt = await self._wait(what, exc, attempt)

    async def _wait(self, what: str, exc: Any, attempt: int) -> int:
        """Sleep what Telegram asked plus a backoff that doubles each time; give up after a few tries."""
        if attempt >= MAX_FLOOD_RETRIES:
            raise ExternalError(f"{what}: Telegram keeps asking to wait ({exc.seconds} s); try again later") from exc
        delay = float(exc.seconds) + min(2.0 ** attempt, MAX_EXTRA_BACKOFF)
        log.warning("%s: flood wait of %s s from Telegram; sleeping %.0f s", what, exc.seconds, delay)
        if self.on_wait:
            self.on_wait(what, delay)
        await self.sleep(delay)
        return attempt + 1


def _raw_event() -> Any:
    """Telethon's raw-update event for new, edited and deleted messages (None where events are absent)."""
    try:
        from telethon import events
        from telethon.tl import types
    except ImportError:  # pragma: no cover - the extra is installed wherever capture runs
        return None
    return events.Raw(types=[types.UpdateNewChannelMessage, types.UpdateNewMessage, types.UpdateEditChannelMessage,
                             types.UpdateEditMessage, types.UpdateDeleteChannelMessages, types.UpdateDeleteMessages])


def make_client(api_id: int, api_hash: str, session: str = "") -> Any:
    """A real Telethon client over an in-memory session string (no ``.session`` file is ever written); the
    flood-sleep threshold is 0 so every wait comes to ``Adapter``, which shows it and backs off."""
    from telethon import TelegramClient
    from telethon.sessions import StringSession

    return TelegramClient(StringSession(session), api_id, api_hash, flood_sleep_threshold=0,
                          device_model="Reclaim evidence capture", app_version="reclaim")
