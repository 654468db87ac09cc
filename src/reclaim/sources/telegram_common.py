"""What one Telegram message says, in one shape for both export formats (JSON and HTML).

A court needs the instant in UTC and the timestamp exactly as the export showed it, so both are kept:
``posted_at`` is UTC (None when the export gives no zone, as Desktop exports before 2022 do), and
``posted_at_local`` + ``utc_offset`` are the wall-clock time the export printed and its zone.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

# Chat types whose messages have a https://t.me/c/<chat id>/<message id> link (members can open it).
LINKABLE_CHAT_TYPES = frozenset({"private_channel", "public_channel", "private_supergroup", "public_supergroup"})

# The reasons an export leaves a file out, as JSON placeholders and HTML descriptions say them.
_MISSING_REASONS = (
    ("exceeds maximum size", "too_large"),
    ("unavailable", "unavailable"),
    ("not included", "not_included"),
)

# Fields the HTML export does not carry; an HTML message has None there (parity tests mask them).
HTML_UNKNOWN_FIELDS = frozenset({
    "chat_id", "chat_type", "action", "poster_id", "forwarded_from_id", "reply_to_peer_id", "edited_at",
    "mime_type", "declared_size", "width", "height", "duration_seconds", "link",
})
# HTML service messages print neither a time nor who acted, and render their text from the action.
HTML_UNKNOWN_SERVICE_FIELDS = frozenset({"posted_at", "posted_at_local", "utc_offset", "poster", "caption"})

_HTML_TITLE = re.compile(
    r"^\s*(\d{2})\.(\d{2})\.(\d{4}) (\d{2}):(\d{2}):(\d{2})(?: UTC([+-])(\d{2}):(\d{2}))?\s*$"
)


@dataclass(frozen=True)
class TelegramMessage:
    """One message of one chat; ``media_ref`` is the export's own path text (or None), not yet checked."""

    chat_key: str  # the chat part of the locator: the chat id (JSON) or the quoted chat name (HTML)
    chat_id: int | None
    chat_name: str | None
    chat_type: str | None
    message_id: int
    message_type: str  # "message", "service" (or "unsupported" in JSON)
    action: str | None
    posted_at: str | None
    posted_at_local: str | None
    utc_offset: str | None
    poster: str | None
    poster_id: str | None
    via_bot: str | None
    forwarded_from: str | None
    forwarded_from_id: str | None
    reply_to_message_id: int | None
    reply_to_peer_id: str | None  # set when the reply points into another chat
    edited_at: str | None
    caption: str
    media_type: str | None
    mime_type: str | None
    media_ref: str | None
    missing_reason: str | None
    declared_size: int | None
    width: int | None
    height: int | None
    duration_seconds: int | None
    export_format: str
    export_file: str

    @property
    def locator(self) -> str:
        return f"telegram:{self.chat_key}/{self.message_id}"

    @property
    def link(self) -> str | None:
        if self.chat_type in LINKABLE_CHAT_TYPES and self.chat_id is not None:
            return f"https://t.me/c/{self.chat_id}/{self.message_id}"
        return None

    def context(self) -> dict[str, Any]:
        """The JSON-serialisable context stored with the item (media fields are added by the source)."""
        fields = asdict(self)
        del fields["media_ref"], fields["chat_key"]
        return {"source": "telegram", **fields, "link": self.link}


def utc_iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def format_offset(delta: timedelta) -> str:
    minutes = round(delta.total_seconds() / 60)
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def json_times(local: str | None, unixtime: str | int | None) -> tuple[str | None, str | None, str | None]:
    """(UTC, local wall time, offset) from a JSON ``date`` and ``date_unixtime``.

    With only ``date`` the zone is unknown; with only ``date_unixtime`` the instant is shown in UTC.
    """
    try:
        moment = datetime.fromtimestamp(int(unixtime), UTC) if unixtime not in (None, "") else None
        wall = datetime.fromisoformat(local) if local else None
    except (TypeError, ValueError, OverflowError, OSError):
        return None, local, None
    if moment is None:
        return None, wall.isoformat() if wall else None, None
    if wall is None:
        return utc_iso(moment), moment.replace(tzinfo=None).isoformat(), "+00:00"
    return utc_iso(moment), wall.isoformat(), format_offset(wall - moment.replace(tzinfo=None))


def html_times(title: str | None) -> tuple[str | None, str | None, str | None]:
    """(UTC, local wall time, offset) from an HTML date title like ``01.07.2026 00:08:03 UTC+08:00``."""
    match = _HTML_TITLE.match(title or "")
    if not match:
        return None, None, None
    day, month, year, hour, minute, second, sign, off_h, off_m = match.groups()
    try:
        wall = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second))
    except ValueError:
        return None, None, None
    if sign is None:
        return None, wall.isoformat(), None
    offset = timedelta(hours=int(off_h), minutes=int(off_m)) * (-1 if sign == "-" else 1)
    return utc_iso((wall - offset).replace(tzinfo=UTC)), wall.isoformat(), format_offset(offset)


def missing_reason(text: str) -> str:
    """Map an export's "file left out" wording to a short code."""
    lowered = text.lower()
    return next((code for phrase, code in _MISSING_REASONS if phrase in lowered), "not_included")


def is_placeholder(path_text: str) -> bool:
    """JSON writes "(File not included. …)" where a path would be; a real relative path never looks so."""
    stripped = path_text.strip()
    return not stripped or (stripped.startswith("(") and stripped.endswith(")"))
