"""Small frozen value objects passed between stages (source → media → signals → index → case)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any


class MediaKind(StrEnum):
    PHOTO = "photo"
    VIDEO = "video"


class BankKind(StrEnum):
    """What a bank's hashes mean when something matches them."""

    KNOWN = "known"  # abusive content to find
    REFERENCE = "reference"  # a victim's own photos (provenance)
    NEGATIVE = "negative"  # known false positives: a match here suppresses others of its signal (matching.py)
    SELF_REPORT = "self-report"  # hashed on a person's own device and sent by them: unverified, for human review

    def threshold(self, configured: float, signal_default: float) -> float:
        """The distance a bank of this kind matches within: a negative bank's is capped at the signal's
        default, so a wide "false positive" entry (say PDQ 128) cannot silence everything near it."""
        return min(configured, signal_default) if self is BankKind.NEGATIVE else configured


@dataclass(frozen=True)
class RemoteObject:
    """A file in object storage that the worker hashing it fetches itself, so its bytes never pass through the
    scan's driver (on a cluster, the driver's disk is not the workers'). Size and modification time are what
    a rescan compares, as for a local file."""

    url: str  # s3://bucket/key
    size: int
    modified_ns: int
    etag: str = ""

    def __str__(self) -> str:
        return self.url

    @property
    def name(self) -> str:
        """The key's last part, as ``Path.name`` is a file's."""
        return self.url.rstrip("/").rpartition("/")[2]


@dataclass(frozen=True)
class MediaItem:
    """One thing a source found: where it is (``locator``), how to read it, and what surrounded it."""

    locator: str
    path: Path | None = None
    data: bytes | None = None
    remote: RemoteObject | None = None  # fetched by the hashing worker (object storage)
    context: Mapping[str, Any] = field(default_factory=dict)
    bytes_only: bool = False  # the source knows it is no photo or video (audio, a document): hash, don't decode


@dataclass(frozen=True)
class Skipped:
    """An item a source or stage could not use, with the one-line reason; scans list these, never die."""

    locator: str
    reason: str
    code: str = "skipped"


@dataclass(frozen=True)
class SignalValue:
    """One computed hash. Stored with its signal name and version so algorithms never silently mix."""

    signal: str
    version: str
    value: str
    quality: int | None = None
    extras: Mapping[str, Any] = field(default_factory=dict)
    blob: bytes | None = field(default=None, repr=False)  # a payload too big for ``value`` (keypoint sets)


@dataclass(frozen=True)
class Match:
    """A bank entry that a query value matched, with how close it was (0 = identical)."""

    bank: str
    bank_kind: BankKind
    content_id: str
    signal: str
    distance: float
    entry_id: int
    value: str
    frame_time: float | None = None  # seconds into the video (the query's, or the banked one's) that matched
    # video against video: (the query's, the banked video's) shares of frames matched (vPDQ rule)
    shares: tuple[float, float] | None = None

    @property
    def match_percent(self) -> float | None:
        """Video against video: the larger share of frames that matched, as commands print it."""
        return round(max(self.shares), 1) if self.shares is not None else None


@dataclass(frozen=True)
class BankEntry:
    """One active banked hash as the matchers see it, with the rules of its bank applied."""

    bank: str
    bank_kind: BankKind
    content_id: str
    signal: str
    version: str
    value: str
    threshold: float
    min_quality: int
