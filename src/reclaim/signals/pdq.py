"""PDQ, Meta's perceptual photo hash (the one HMA, ThreatExchange and StopNCII exchange).

Computed by the ``pdqhash`` package (Meta's C++ core) on the decoded RGB pixels; the hex form is 64 digits,
most significant bit first, exactly as python-threatexchange prints it. Quality (0–100) travels with the
value: matching ignores values under the bank's quality floor (50 by default).
"""

from __future__ import annotations

import numpy as np
import pdqhash

from reclaim.errors import InvalidHash, SignalError
from reclaim.index.pdq import PDQHashIndex
from reclaim.models import MediaKind, SignalValue
from reclaim.signals.base import Media, Signal

PDQ_HEX_DIGITS = 64
MIN_QUALITY = 50
_HEX = frozenset("0123456789abcdef")


def pdq_hex(rgb: np.ndarray) -> tuple[str, int]:
    """Hash (h, w, 3) uint8 pixels; return (hex, quality)."""
    bits, quality = pdqhash.compute(np.ascontiguousarray(rgb))
    return np.packbits(bits.astype(np.uint8)).tobytes().hex(), int(quality)


def hamming(a: str, b: str) -> int:
    return (int(a, 16) ^ int(b, 16)).bit_count()


class PDQSignal(Signal):
    name = "pdq"
    version = "1"
    media_kinds = frozenset({MediaKind.PHOTO})
    needs = "pixels"
    default_threshold = 31.0
    index_cls = PDQHashIndex

    def compute(self, media: Media) -> list[SignalValue]:
        if media.image is None:
            raise SignalError(f"{media.name}: pdq needs decoded pixels")
        pixels = media.image.pdq_pixels if media.image.pdq_pixels is not None else media.image.rgb
        value, quality = pdq_hex(pixels)
        return [SignalValue(self.name, self.version, value, quality, {"scale": round(media.image.scale, 4)})]

    def parse(self, text: str) -> str:
        value = text.strip().lower()
        if len(value) != PDQ_HEX_DIGITS or not set(value) <= _HEX:
            raise InvalidHash(f"not a pdq hash (64 hex digits): {text.strip()[:80]!r}")
        return value

    def distance(self, a: str, b: str) -> float:
        return float(hamming(self.parse(a), self.parse(b)))

    def examples(self) -> list[str]:
        return [
            "2d6b1af3a956c529e79ca3d2526fa834d4196c81cedd04de0a26b855fc99b724",  # skimage astronaut
            "f" * 64,
            "0" * 64,
        ]
