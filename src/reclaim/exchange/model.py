"""The rows every hash-list format reads into and writes from."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class Format(StrEnum):
    PYTX = "pytx"
    HMA_CSV = "hma-csv"
    STOPNCII_JSON = "stopncii-json"


@dataclass(frozen=True)
class SharedHash:
    """One hash of one content, in Reclaim's signal names (``pdq``, ``md5``, ``sha256``, ``vpdq``: one frame)."""

    signal: str
    value: str
    content_id: str
    quality: int | None = None
    withdrawn: bool = False
    changed: datetime | None = None
    video: bool = False  # md5/sha256 of a video (pytx's video_md5), or a vpdq frame
    note: str = ""
    hma_id: int | None = None  # HMA's integer content id (the bank_content row) where the list carries one


@dataclass(frozen=True)
class ListRows:
    format: Format
    rows: list[SharedHash]
    ignored: int = 0  # rows of signal types Reclaim does not match on (TMK, URL, text)
    notes: list[str] = field(default_factory=list)
