"""Telethon objects -> chats, references and media kinds, as a Telegram Desktop export names them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from telethon.tl import types

from reclaim.errors import UserError
from reclaim.telegram.client import NotJoined, describe, parse_ref
from reclaim.telegram.mapping import media_of, peer_id

WHEN = datetime(2026, 11, 30, tzinfo=UTC)


def document(*attributes: object, mime: str = "application/octet-stream") -> types.Message:
    doc = types.Document(id=1, access_hash=1, file_reference=b"", date=WHEN, mime_type=mime, size=1234, dc_id=1,
                         attributes=list(attributes))
    return types.Message(id=1, peer_id=types.PeerUser(1), date=WHEN, message="",
                         media=types.MessageMediaDocument(document=doc))


@pytest.mark.parametrize(("attributes", "kind", "size"), [
    ([types.DocumentAttributeSticker(alt="🙂", stickerset=types.InputStickerSetEmpty()),
      types.DocumentAttributeImageSize(w=512, h=512)], "sticker", (512, 512)),
    ([types.DocumentAttributeAnimated(), types.DocumentAttributeVideo(duration=2.5, w=320, h=240)], "animation",
     (320, 240)),
    ([types.DocumentAttributeVideo(duration=9.0, w=240, h=240, round_message=True)], "video_message", (240, 240)),
    ([types.DocumentAttributeVideo(duration=61.9, w=1280, h=720)], "video_file", (1280, 720)),
    ([types.DocumentAttributeAudio(duration=4, voice=True)], "voice_message", (None, None)),
    ([types.DocumentAttributeAudio(duration=200, title="song")], "audio_file", (None, None)),
    ([types.DocumentAttributeFilename(file_name="list.pdf")], "file", (None, None)),
])
def test_document_kinds_follow_desktop(attributes: list[object], kind: str, size: tuple) -> None:
    media = media_of(document(*attributes))
    assert media is not None and media.type == kind and (media.width, media.height) == size
    assert media.declared_size == 1234 and media.mime_type == "application/octet-stream"


def test_text_polls_and_web_previews_have_no_media() -> None:
    assert media_of(types.Message(id=1, peer_id=types.PeerUser(1), date=WHEN, message="hi")) is None
    assert media_of(types.Message(id=1, peer_id=types.PeerUser(1), date=WHEN, message="",
                                  media=types.MessageMediaGeo(geo=types.GeoPointEmpty()))) is None


@pytest.mark.parametrize(("ref", "expected"), [
    ("https://t.me/c/1987654321/55", types.PeerChannel(1987654321)),
    ("t.me/c/1987654321", types.PeerChannel(1987654321)),
    ("-1001987654321", types.PeerChannel(1987654321)),
    ("1987654321", types.PeerChannel(1987654321)),
    ("-4242", types.PeerChat(4242)),
    ("https://t.me/some_room/12", "some_room"),
    ("@some_room", "@some_room"),
    ("https://t.me/+AbCdEf", "https://t.me/+AbCdEf"),
])
def test_references(ref: str, expected: object) -> None:
    assert parse_ref(ref) == expected


def test_empty_reference_is_refused() -> None:
    with pytest.raises(UserError, match="give a chat"):
        parse_ref("  ")


def test_chat_types_and_refusals() -> None:
    photo = types.ChatPhotoEmpty()
    assert describe(types.Channel(id=5, title="T", photo=photo, date=WHEN, broadcast=True, username="pub")).type == (
        "public_channel")
    assert describe(types.Channel(id=5, title="T", photo=photo, date=WHEN, megagroup=True)).type == (
        "private_supergroup")
    group = describe(types.Chat(id=6, title="G", photo=photo, participants_count=3, date=WHEN, version=1))
    assert (group.type, group.peer_id, group.key) == ("private_group", "chat6", "6")
    user = describe(types.User(id=7, first_name="Min", last_name="Ji"))
    assert (user.type, user.name, user.peer_id) == ("personal_chat", "Min Ji", "user7")
    with pytest.raises(NotJoined, match="has not joined"):
        describe(types.Channel(id=5, title="T", photo=photo, date=WHEN, left=True))
    with pytest.raises(NotJoined, match="has left"):
        describe(types.Chat(id=6, title="G", photo=photo, participants_count=3, date=WHEN, version=1, left=True))
    with pytest.raises(NotJoined, match="removed"):
        describe(types.ChannelForbidden(id=5, access_hash=1, title="T"))
    assert peer_id(types.PeerChannel(9)) == "channel9" and peer_id(None) is None
