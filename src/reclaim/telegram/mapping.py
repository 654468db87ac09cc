"""A Telethon message as the ``TelegramMessage`` a Telegram Desktop JSON export of the same chat would give.

The rules follow Desktop's export (``export_output_json.cpp``): the poster is the sender's display name and
``user<id>``/``channel<id>``, a channel post is posted by the channel, photos carry no MIME type, a document's
kind comes from its attributes (sticker, animation, round video, video, voice, audio, else a plain file).
Times are UTC; the local wall time is given in UTC too (``+00:00``), as the capturing machine's zone is not
evidence. Fields only a capture knows (when and by which account it was captured) are added by ``capture``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, timedelta
from typing import Any

from reclaim.sources.telegram_common import TelegramMessage, format_offset, utc_iso
from reclaim.telegram.client import Chat, display_name

CAPTURE_FORMAT = "capture"
_ACTIONS = {
    "MessageActionChannelCreate": "create_channel", "MessageActionChatCreate": "create_group",
    "MessageActionChatEditTitle": "edit_group_title", "MessageActionChatEditPhoto": "edit_group_photo",
    "MessageActionChatDeletePhoto": "delete_group_photo", "MessageActionChatAddUser": "invite_members",
    "MessageActionChatDeleteUser": "remove_members", "MessageActionChatJoinedByLink": "join_group_by_link",
    "MessageActionPinMessage": "pin_message", "MessageActionHistoryClear": "clear_history",
    "MessageActionChatMigrateTo": "migrate_to_supergroup", "MessageActionChannelMigrateFrom": "migrate_from_group",
}


@dataclass(frozen=True)
class Media:
    """What the message says about its file, before any byte is downloaded."""

    type: str
    mime_type: str | None
    declared_size: int | None
    width: int | None
    height: int | None
    duration_seconds: int | None


@dataclass(frozen=True)
class People:
    """Who the mapping names, resolved by the caller (who holds the client): sender, forward origin, bot."""

    poster_peer: Any  # see sender_peer
    poster: Any
    forwarded_from: Any
    via_bot: Any


def peer_id(peer: Any) -> str | None:
    """Desktop's ``user123`` / ``channel123`` / ``chat123`` for a Telethon peer (None for None)."""
    for attr, prefix in (("user_id", "user"), ("channel_id", "channel"), ("chat_id", "chat")):
        value = getattr(peer, attr, None)
        if value is not None:
            return f"{prefix}{value}"
    return None


def sender_peer(message: Any, chat: Chat, me_id: int | None) -> Any:
    """Who posted: ``from_id``, else the channel itself (a channel post), else the private chat's other side
    (or us, for our own messages there)."""
    from telethon.tl.types import PeerUser

    if message.from_id is not None:
        return message.from_id
    if chat.peer_id.startswith("user") and getattr(message, "out", False) and me_id is not None:
        return PeerUser(me_id)
    return message.peer_id


def to_message(message: Any, chat: Chat, people: People) -> TelegramMessage:
    from telethon.tl.types import MessageService

    service = isinstance(message, MessageService)
    media = None if service else media_of(message)
    fwd = getattr(message, "fwd_from", None)
    reply = getattr(message, "reply_to", None)
    fwd_name = display_name(people.forwarded_from) or (fwd.from_name if fwd is not None else None)
    bot = getattr(people.via_bot, "username", None)
    return TelegramMessage(
        chat_key=chat.key, chat_id=chat.id, chat_name=chat.name, chat_type=chat.type,
        message_id=message.id,
        message_type="service" if service else "message",
        action=_ACTIONS.get(type(message.action).__name__, type(message.action).__name__) if service else None,
        posted_at=utc_iso(message.date),
        posted_at_local=message.date.astimezone(UTC).replace(tzinfo=None).isoformat(),
        utc_offset=format_offset(timedelta(0)),
        poster=display_name(people.poster),
        poster_id=peer_id(people.poster_peer),
        via_bot=f"@{bot}" if bot else None,
        forwarded_from=fwd_name if fwd is not None else None,
        forwarded_from_id=peer_id(fwd.from_id) if fwd is not None and fwd.from_id is not None else None,
        reply_to_message_id=getattr(reply, "reply_to_msg_id", None),
        reply_to_peer_id=peer_id(getattr(reply, "reply_to_peer_id", None)),
        edited_at=utc_iso(message.edit_date) if getattr(message, "edit_date", None) else None,
        caption="" if service else (message.message or ""),
        media_type=media.type if media else None,
        mime_type=media.mime_type if media else None,
        media_ref=None,
        missing_reason=None,
        declared_size=media.declared_size if media else None,
        width=media.width if media else None,
        height=media.height if media else None,
        duration_seconds=media.duration_seconds if media else None,
        export_format=CAPTURE_FORMAT,
        export_file="",
    )


def media_of(message: Any) -> Media | None:
    """The message's downloadable file, described; None for text, polls, locations, web previews..."""
    from telethon.tl import types

    media = message.media
    if isinstance(media, types.MessageMediaPhoto) and isinstance(media.photo, types.Photo):
        width, height, size = _largest(media.photo.sizes)
        return Media("photo", None, size, width, height, None)
    if not (isinstance(media, types.MessageMediaDocument) and isinstance(media.document, types.Document)):
        return None
    doc = media.document
    attrs = {type(a).__name__: a for a in doc.attributes}
    video, audio = attrs.get("DocumentAttributeVideo"), attrs.get("DocumentAttributeAudio")
    if "DocumentAttributeSticker" in attrs:
        kind = "sticker"
    elif "DocumentAttributeAnimated" in attrs:
        kind = "animation"
    elif video is not None:
        kind = "video_message" if video.round_message else "video_file"
    elif audio is not None:
        kind = "voice_message" if audio.voice else "audio_file"
    else:
        kind = "file"
    sized = video or attrs.get("DocumentAttributeImageSize")
    timed = video or audio
    return Media(kind, doc.mime_type, doc.size, getattr(sized, "w", None), getattr(sized, "h", None),
                 int(timed.duration) if timed is not None and timed.duration is not None else None)


def _largest(sizes: list[Any]) -> tuple[int | None, int | None, int | None]:
    """(width, height, bytes) of a photo's largest size, which is what a download returns."""
    best: tuple[int, int, int] | None = None
    for size in sizes:
        byte_size = max(size.sizes) if hasattr(size, "sizes") else getattr(size, "size", None)
        if getattr(size, "w", None) is None or byte_size is None:
            continue  # stripped and path thumbnails
        if best is None or size.w * size.h > best[0] * best[1]:
            best = (size.w, size.h, byte_size)
    return best if best is not None else (None, None, None)
