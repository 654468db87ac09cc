"""``--follow``: keep a capture running on Telegram's update stream, so new posts are captured within seconds.

A new-message update starts a backfill from the last captured id (which also fills any gap the stream
skipped); edits and deletions go to ``Capture.edited`` / ``Capture.deleted``. Subscribing happens before
the first backfill, so nothing posted in between is lost, and a quiet stream is polled every
``poll_seconds`` in case updates were dropped (Telegram does not promise to deliver every one).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from reclaim.telegram.capture import Capture, captured_ids
from reclaim.telegram.client import Chat

log = logging.getLogger(__name__)


async def follow(capture: Capture, *, poll_seconds: float = 30.0, stop: asyncio.Event | None = None) -> None:
    """Run until ``stop`` is set (or the task is cancelled, e.g. by Ctrl-C); ``Capture.start`` must have run."""
    chat = capture.require_chat()
    queue: asyncio.Queue[Any] = asyncio.Queue()
    capture.adapter.subscribe(chat, lambda update: queue.put_nowait(update) if concerns(update, chat) else None)
    await capture.backfill()
    stop = stop or asyncio.Event()
    stopped = asyncio.ensure_future(stop.wait())
    try:
        while not stop.is_set():
            getter = asyncio.ensure_future(queue.get())
            done, _ = await asyncio.wait({getter, stopped}, timeout=poll_seconds, return_when=asyncio.FIRST_COMPLETED)
            if getter not in done:
                getter.cancel()
                if not stop.is_set():
                    await capture.backfill()
                continue
            await handle(capture, getter.result())
    finally:
        stopped.cancel()


async def handle(capture: Capture, update: Any) -> None:
    from telethon.tl import types

    if isinstance(update, (types.UpdateNewChannelMessage, types.UpdateNewMessage)):
        await capture.backfill()
        if update.message.id > capture.last_id:  # not served by history yet: capture it as the update gave it
            await capture.capture([update.message])
    elif isinstance(update, (types.UpdateEditChannelMessage, types.UpdateEditMessage)):
        await capture.edited(update.message)
    elif isinstance(update, types.UpdateDeleteChannelMessages):
        capture.deleted(list(update.messages))
    elif isinstance(update, types.UpdateDeleteMessages):  # ids are account-wide outside channels: keep ours
        ours = captured_ids(capture.files, capture.require_chat().key, capture.actor)
        if mine := [i for i in update.messages if i in ours]:
            capture.deleted(mine)


def concerns(update: Any, chat: Chat) -> bool:
    """Whether a raw update is about ``chat`` (deletions outside channels name no chat: only ids we captured)."""
    from telethon.tl import types

    if isinstance(update, types.UpdateDeleteChannelMessages):
        return chat.peer_id == f"channel{update.channel_id}"
    if isinstance(update, types.UpdateDeleteMessages):
        return not chat.peer_id.startswith("channel")
    message = getattr(update, "message", None)
    if message is None:
        return False
    from reclaim.telegram.mapping import peer_id

    return peer_id(message.peer_id) == chat.peer_id
