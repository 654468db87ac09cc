"""Cryptographic digests: exact copies only. sha256 is the evidence identity of every file."""

from __future__ import annotations

import hashlib
import string
from typing import ClassVar

from reclaim.errors import InvalidHash
from reclaim.index.base import ExactIndex
from reclaim.models import MediaKind, SignalValue
from reclaim.signals.base import Media, Signal


class _DigestSignal(Signal):
    hex_digits: ClassVar[int]
    media_kinds = frozenset(MediaKind)
    needs = "bytes"
    default_threshold = 0.0
    index_cls = ExactIndex
    version = "1"

    def compute(self, media: Media) -> list[SignalValue]:
        digest = hashlib.new(self.name)
        for chunk in media.chunks():
            digest.update(chunk)
        return [SignalValue(self.name, self.version, digest.hexdigest())]

    def parse(self, text: str) -> str:
        value = text.strip().lower()
        if len(value) != self.hex_digits or not set(value) <= set(string.hexdigits.lower()):
            raise InvalidHash(f"not a {self.name} hash ({self.hex_digits} hex digits): {text.strip()[:80]!r}")
        return value

    def distance(self, a: str, b: str) -> float:
        return 0.0 if self.parse(a) == self.parse(b) else 1.0

    def examples(self) -> list[str]:
        return [hashlib.new(self.name, payload).hexdigest() for payload in (b"", b"reclaim")]


class MD5Signal(_DigestSignal):
    name = "md5"
    hex_digits = 32


class SHA256Signal(_DigestSignal):
    name = "sha256"
    hex_digits = 64
