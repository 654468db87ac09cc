"""A local stand-in for the network part of a Telegram client, serving Telethon's own types and benign files.

``FakeTelegram`` implements the calls ``reclaim.telegram.client.ChatClient`` names (and the sign-in ones), with
the signatures of Telethon's ``TelegramClient``; ``room()`` builds one private supergroup with photos (a
re-upload of a banked image, decoys), a forward, a reply, an edit, a voice message and a service message.
``write_desktop_json`` writes the Telegram Desktop JSON export of the same messages, following Desktop's
``export_output_json.cpp`` field by field (not Reclaim's mapping), so the two can be compared.
"""

from __future__ import annotations

import io
import json
import os
import signal
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from PIL import Image
from telethon import errors
from telethon.tl import types

from reclaim.synthetic.scenes import composite, jpeg_bytes, sample_faces, scene
from reclaim.vault import KdfParams  # noqa: E402

# Passphrases and cheap key derivation the tests share (here, not in conftest: a test module cannot import
# "conftest" reliably when several test folders have one).
SIGN_IN_PASSPHRASE = "telegram sign-in passphrase"
VAULT_PASSPHRASE = "case vault passphrase 1"
CHEAP = KdfParams(time_cost=1, memory_kib=1024, parallelism=1)

CHAT_ID = 1987654321
ME = types.User(id=7000001, is_self=True, first_name="Centre", last_name="Investigator", username="centre_inv",
                access_hash=11)
POSTERS = [types.User(id=5550001 + i, first_name=name, last_name=last, access_hash=20 + i)
           for i, (name, last) in enumerate([("Poster", "One"), ("민수", None), ("Third", "Poster")])]
ORIGIN = types.Channel(id=1400000001, title="Origin Channel", photo=types.ChatPhotoEmpty(), date=None,
                       broadcast=True, username="origin_channel", access_hash=31)
BOT = types.User(id=5559999, bot=True, first_name="Pics", username="pics_bot", access_hash=40)
START = datetime(2026, 11, 30, 18, 0, tzinfo=UTC)


def room(*, left: bool = False, title: str = "캠퍼스 room 3") -> types.Channel:
    return types.Channel(id=CHAT_ID, title=title, photo=types.ChatPhotoEmpty(), date=START, megagroup=True,
                         left=left, access_hash=99)


@dataclass
class Room:
    chat: types.Channel
    messages: list[Any]
    files: dict[int, bytes]  # media id -> the file Telegram serves
    known: bytes  # the banked original the room re-posts (re-encoded and resized)


@cache
def photo_bytes(seed: int, *, face: str | None = None, size: int = 480, quality: int = 88) -> bytes:
    image = composite(sample_faces()[face], seed=seed) if face else scene(seed=seed)
    image = image.resize((size, size * image.height // image.width))
    return jpeg_bytes(image, quality)


@cache
def video_bytes() -> bytes:
    """A 3-second benign clip (generated scenes), MP4."""
    import tempfile

    from reclaim.synthetic.video import write_clip

    with tempfile.TemporaryDirectory() as tmp:
        return write_clip(Path(tmp) / "clip.mp4", [scene(seed=s) for s in (501, 502, 503)]).read_bytes()


def video_media(media_id: int, data: bytes, when: datetime) -> types.MessageMediaDocument:
    doc = types.Document(id=media_id, access_hash=1, file_reference=b"ref", date=when, mime_type="video/mp4",
                         size=len(data), dc_id=5, attributes=[
                             types.DocumentAttributeVideo(duration=3.0, w=160, h=120, supports_streaming=True),
                             types.DocumentAttributeFilename(file_name="clip.mp4")])
    return types.MessageMediaDocument(document=doc, video=True)


def photo_media(media_id: int, data: bytes, when: datetime) -> types.MessageMediaPhoto:
    width, height = Image.open(io.BytesIO(data)).size
    sizes: list[Any] = [types.PhotoStrippedSize(type="i", bytes=b"\x01\x08\x08"),
                        types.PhotoSize(type="m", w=width // 4, h=height // 4, size=len(data) // 10),
                        types.PhotoSizeProgressive(type="y", w=width, h=height, sizes=[len(data) // 3, len(data)])]
    return types.MessageMediaPhoto(photo=types.Photo(id=media_id, access_hash=1, file_reference=b"ref", date=when,
                                                     sizes=sizes, dc_id=5))


def voice_media(media_id: int, data: bytes, when: datetime) -> types.MessageMediaDocument:
    doc = types.Document(id=media_id, access_hash=1, file_reference=b"ref", date=when, mime_type="audio/ogg",
                         size=len(data), dc_id=5, attributes=[types.DocumentAttributeAudio(duration=3, voice=True)])
    return types.MessageMediaDocument(document=doc, voice=True)


def message(mid: int, sender: types.User | None, text: str = "", *, media: Any = None, minutes: int | None = None,
            **extra: Any) -> types.Message:
    when = START + timedelta(minutes=mid if minutes is None else minutes, seconds=7)
    return types.Message(id=mid, peer_id=types.PeerChannel(CHAT_ID), date=when, message=text, media=media,
                         from_id=types.PeerUser(sender.id) if sender else None, **extra)


def build_room(*, left: bool = False, count: int = 12, title: str = "캠퍼스 room 3") -> Room:
    """A room of ``count`` (>= 10) messages; media ids are 900000 + message id."""
    known = photo_bytes(1, face="astronaut", size=640, quality=95)  # cached: rooms are rebuilt per test
    repost = jpeg_bytes(Image.open(io.BytesIO(known)).resize((400, 400 * 480 // 640)), 70)
    files: dict[int, bytes] = {}
    messages: list[Any] = []

    def photo(mid: int, data: bytes) -> types.MessageMediaPhoto:
        files[900000 + mid] = data
        return photo_media(900000 + mid, data, START)

    one, two, three = POSTERS
    messages.append(types.MessageService(id=1, peer_id=types.PeerChannel(CHAT_ID), date=START, from_id=types.PeerUser(
        one.id), action=types.MessageActionChatAddUser(users=[two.id])))
    messages.append(message(2, one, "새 자료 올림\n두 줄", media=photo(2, repost)))
    messages.append(message(3, two, "decoy", media=photo(3, photo_bytes(4242))))
    messages.append(message(4, three, "just text, no media"))
    messages.append(message(5, one, "forwarded", media=photo(5, photo_bytes(77)), fwd_from=types.MessageFwdHeader(
        date=START - timedelta(days=2), from_id=types.PeerChannel(ORIGIN.id))))
    messages.append(message(6, two, "reply with a picture", media=photo(6, photo_bytes(78)),
                            reply_to=types.MessageReplyHeader(reply_to_msg_id=2)))
    messages.append(message(7, three, "edited caption", media=photo(7, photo_bytes(79)),
                            edit_date=START + timedelta(minutes=9)))
    files[900008] = bytes(range(256)) * 40 + b"OggS benign voice stand-in"
    messages.append(message(8, one, "", media=voice_media(900008, files[900008], START)))
    messages.append(message(9, two, "via a bot", media=photo(9, photo_bytes(80)), via_bot_id=BOT.id))
    messages.append(message(10, one, "hidden forward", media=photo(10, photo_bytes(81)),
                            fwd_from=types.MessageFwdHeader(
                                date=START - timedelta(days=1), from_name="Hidden Sender")))
    files[900011] = video_bytes()
    messages.append(message(11, three, "a clip", media=video_media(900011, files[900011], START)))
    for mid in range(12, count + 1):
        messages.append(message(mid, POSTERS[mid % 3], f"more {mid}", media=photo(mid, photo_bytes(100 + mid))))
    return Room(room(left=left, title=title), messages, files, known)


class FakeSession:
    def __init__(self, secret: str) -> None:
        self.secret = secret

    def save(self) -> str:
        return self.secret


@dataclass
class FakeTelegram:
    """What ``reclaim.telegram`` calls on a ``TelegramClient``, answered from memory (no network)."""

    room: Room
    me: types.User = field(default_factory=lambda: ME)
    flood: dict[str, list[int]] = field(default_factory=dict)  # call name -> FloodWait seconds to raise, in turn
    kill_at: int | None = None  # SIGKILL this process when asked for this message's media
    two_step: str | None = "second factor"
    calls: Counter[str] = field(default_factory=Counter)
    handlers: list[Callable[[Any], Any]] = field(default_factory=list)
    session: FakeSession = field(default_factory=lambda: FakeSession("1BVtsOK8Bu-secret-auth-key-" + "Z" * 300))
    signed_in: bool = True
    logged_out: bool = False
    code_sent_to: str | None = None

    def _maybe_flood(self, name: str) -> None:
        self.calls[name] += 1
        waits = self.flood.get(name)
        if waits:
            raise errors.FloodWaitError(request=None, capture=waits.pop(0))

    async def connect(self) -> None:
        self.calls["connect"] += 1

    async def disconnect(self) -> None:
        self.calls["disconnect"] += 1

    async def is_user_authorized(self) -> bool:
        return self.signed_in

    async def send_code_request(self, phone: str) -> None:
        self.code_sent_to = phone

    async def sign_in(self, phone: str | None = None, code: str | None = None, password: str | None = None) -> Any:
        if password is not None:
            if password != self.two_step:
                raise errors.PasswordHashInvalidError(request=None)
        elif code != "12345":
            raise errors.PhoneCodeInvalidError(request=None)
        elif self.two_step:
            raise errors.SessionPasswordNeededError(request=None)
        self.signed_in = True
        return self.me

    async def log_out(self) -> bool:
        self.logged_out = True
        return True

    async def get_me(self) -> types.User:
        return self.me

    async def get_entity(self, entity: Any) -> Any:
        self._maybe_flood("get_entity")
        known = {("channel", CHAT_ID): self.room.chat, ("channel", ORIGIN.id): ORIGIN, ("user", BOT.id): BOT,
                 ("user", ME.id): ME, **{("user", u.id): u for u in POSTERS}}
        if isinstance(entity, types.PeerChannel):
            key: Any = ("channel", entity.channel_id)
        elif isinstance(entity, types.PeerUser):
            key = ("user", entity.user_id)
        elif entity in (f"https://t.me/c/{CHAT_ID}", "campus_room"):
            key = ("channel", CHAT_ID)
        else:
            raise ValueError(f'Cannot find any entity corresponding to "{entity}"')
        if key not in known:
            raise ValueError(f'Could not find the input entity for {entity!r}')
        return known[key]

    async def iter_messages(self, entity: Any, *, min_id: int = 0, reverse: bool = False,
                            offset_date: datetime | None = None) -> AsyncIterator[Any]:
        assert reverse, "capture reads oldest first"
        self._maybe_flood("iter_messages")
        served = 0
        for item in sorted(self.room.messages, key=lambda m: m.id):
            if item.id > min_id and (offset_date is None or item.date > offset_date):
                if served == 3 and self.flood.get("iter_messages_mid"):  # a wait between two pages
                    raise errors.FloodWaitError(request=None, capture=self.flood["iter_messages_mid"].pop(0))
                served += 1
                yield item

    async def download_media(self, message: Any, file: Any = None) -> bytes:
        assert file is bytes, "media must be downloaded into memory, never to a file"
        if self.kill_at is not None and message.id == self.kill_at:
            os.kill(os.getpid(), signal.SIGKILL)
        self._maybe_flood("download_media")
        media = message.media
        return self.room.files[(media.photo if isinstance(media, types.MessageMediaPhoto) else media.document).id]

    def add_event_handler(self, callback: Callable[[Any], Any], event: Any = None) -> None:
        self.handlers.append(callback)

    async def push(self, update: Any) -> None:
        """Deliver an update as Telegram would, keeping history in step (a new message is in history too)."""
        if isinstance(update, types.UpdateNewChannelMessage):
            self.room.messages.append(update.message)
        elif isinstance(update, types.UpdateEditChannelMessage):
            self.room.messages = [update.message if m.id == update.message.id else m for m in self.room.messages]
        elif isinstance(update, types.UpdateDeleteChannelMessages):
            self.room.messages = [m for m in self.room.messages if m.id not in update.messages]
        for handler in self.handlers:
            await handler(update)


# --- Telegram Desktop's JSON export of the same messages -------------------------------------------------

def _name(entity: Any) -> str:
    return entity.title if hasattr(entity, "title") else " ".join(p for p in (entity.first_name, entity.last_name) if p)


def _peer(peer: Any) -> str:
    return f"user{peer.user_id}" if isinstance(peer, types.PeerUser) else f"channel{peer.channel_id}"


def write_desktop_json(room: Room, out: Path) -> Path:
    """``out``/result.json with photos/ and voice_messages/, as Desktop on a UTC machine writes them."""
    people = {f"user{u.id}": u for u in [*POSTERS, ME, BOT]} | {f"channel{ORIGIN.id}": ORIGIN}
    messages = []
    out.mkdir(parents=True, exist_ok=True)
    for m in sorted(room.messages, key=lambda m: m.id):
        row: dict[str, Any] = {"id": m.id, "type": "message", "date": m.date.replace(tzinfo=None).isoformat(),
                               "date_unixtime": str(int(m.date.timestamp()))}
        if isinstance(m, types.MessageService):
            row.update(type="service", actor=_name(people[_peer(m.from_id)]), actor_id=_peer(m.from_id),
                       action="invite_members", members=[_name(people[f"user{u}"]) for u in m.action.users], text="")
            messages.append(row)
            continue
        if m.edit_date:
            row.update(edited=m.edit_date.replace(tzinfo=None).isoformat(),
                       edited_unixtime=str(int(m.edit_date.timestamp())))
        row.update({"from": _name(people[_peer(m.from_id)]), "from_id": _peer(m.from_id)})
        if m.fwd_from is not None:
            origin = m.fwd_from.from_id
            row["forwarded_from"] = _name(people[_peer(origin)]) if origin else m.fwd_from.from_name
            if origin:
                row["forwarded_from_id"] = _peer(origin)
        if m.via_bot_id:
            row["via_bot"] = f"@{BOT.username}"
        if m.reply_to is not None:
            row["reply_to_message_id"] = m.reply_to.reply_to_msg_id
        stamp = m.date.strftime("%d-%m-%Y_%H-%M-%S")
        if isinstance(m.media, types.MessageMediaPhoto):
            data = room.files[m.media.photo.id]
            rel = f"photos/photo_{m.id}@{stamp}.jpg"
            width, height = Image.open(io.BytesIO(data)).size
            row.update(photo=rel, photo_file_size=len(data), width=width, height=height)
        elif isinstance(m.media, types.MessageMediaDocument):
            doc = m.media.document
            data = room.files[doc.id]
            video = next((a for a in doc.attributes if isinstance(a, types.DocumentAttributeVideo)), None)
            if video is not None:
                rel = f"video_files/clip_{m.id}.mp4"
                row.update(file=rel, file_name="clip.mp4", file_size=len(data), media_type="video_file",
                           mime_type=doc.mime_type, duration_seconds=int(video.duration), width=video.w,
                           height=video.h)
            else:
                rel = f"voice_messages/audio_{m.id}@{stamp}.ogg"
                row.update(file=rel, file_size=len(data), media_type="voice_message", mime_type=doc.mime_type,
                           duration_seconds=doc.attributes[0].duration)
        else:
            rel, data = None, b""
        if rel:
            (out / rel).parent.mkdir(parents=True, exist_ok=True)
            (out / rel).write_bytes(data)
        row["text"] = m.message
        row["text_entities"] = [{"type": "plain", "text": m.message}] if m.message else []
        messages.append(row)
    doc = {"name": room.chat.title, "type": "private_supergroup", "id": room.chat.id, "messages": messages}
    path = out / "result.json"
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
    return path
