"""vPDQ, Meta's video hash: PDQ of one frame per second, matched as a set of frames.

Each sampled frame is one ``SignalValue`` whose value is that frame as python-threatexchange writes it,
``"<pdq hex>,<quality>,<timestamp>"`` (so the frame's time survives the store, which keeps values, not
extras), with its quality and ``{frame, timestamp}`` extras. The exchange form is pytx's: a JSON list
of those strings (``to_pytx``), also read one feature per line (``from_pytx``). Two videos match when,
after dropping frames under quality 50 and duplicate hashes, at least 80 % of either one's frames are within
31 bits of some frame of the other (``vpdq_match``; pytx's ``match_VPDQ_hash_brute`` and DESIGN.md's rule).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from reclaim.errors import InvalidHash, SignalError
from reclaim.index.pdq import PDQHashIndex, hex_to_codes
from reclaim.media.video import VideoFrame, VideoInfo
from reclaim.models import MediaKind, SignalValue
from reclaim.signals.base import FrameReader, Media, Signal
from reclaim.signals.frames import Grid, read_frames
from reclaim.signals.pdq import MIN_QUALITY, PDQSignal, pdq_hex

SECONDS_PER_HASH = 1.0
MATCH_PERCENT = 80.0
COMPARE_BLOCK = 256  # query frames compared at once: the distance matrix stays 256 x the other's frames
FRAME_DISTANCE = 31
# Frames are hashed at full resolution: against Meta's reference hashes that agrees within 6 bits, while
# shrinking to 640 px first moved frames by up to 18 bits and saved no time (decoding dominates).
MAX_SIDE: int | None = None


@dataclass(frozen=True)
class VpdqFeature:
    """One hashed frame: pytx's VpdqCompactFeature plus the frame number."""

    pdq_hex: str
    quality: int
    timestamp: float
    frame: int | None = None

    def __str__(self) -> str:
        return f"{self.pdq_hex},{self.quality},{round(self.timestamp, 3)!r}"


@dataclass(frozen=True)
class VpdqMatch:
    query_percent: float  # of the query's distinct good frames, how many have a match in the other
    compared_percent: float  # and the other way round
    distance: float = 0.0  # mean Hamming distance from each matched query frame to its nearest other frame

    @property
    def is_match(self) -> bool:
        return max(self.query_percent, self.compared_percent) >= MATCH_PERCENT


class VPDQSignal(Signal):
    name = "vpdq"
    version = "2"  # 1 stored the bare frame hex
    media_kinds = frozenset({MediaKind.VIDEO})
    needs = "frames"
    default_threshold = float(FRAME_DISTANCE)
    index_cls = PDQHashIndex

    def __init__(self, *, every: float = SECONDS_PER_HASH, max_side: int | None = MAX_SIDE) -> None:
        self.every, self.max_side = every, max_side

    def compute(self, media: Media) -> list[SignalValue]:
        """Decoded from the file when the media has a path (big videos), else from the bytes. A scan decodes
        once for every frame signal instead (``hashing``, through ``frame_reader``)."""
        return read_frames(media, [self.frame_reader()], max_side=self.max_side)[1]

    def frame_reader(self) -> FrameReader:
        return _VpdqFrames(self.every)

    def parse(self, text: str) -> str:
        """A frame as a pytx feature ``hex,quality,timestamp``, or its bare PDQ hex (time unknown)."""
        return str(parse_feature(text)) if "," in text else PDQSignal().parse(text)

    def distance(self, a: str, b: str) -> float:
        return PDQSignal().distance(frame_hex(a), frame_hex(b))

    def examples(self) -> list[str]:
        return PDQSignal().examples()


class _VpdqFrames(FrameReader):
    """PDQ of each frame on the ``every`` grid; cut frames are not vPDQ's (pytx hashes every N-th frame only)."""

    def __init__(self, every: float) -> None:
        self.every, self._grid = every, Grid(every)
        self._features: list[VpdqFeature] = []

    def see(self, frame: VideoFrame) -> None:
        if not frame.cut and self._grid.take(frame.timestamp):
            value, quality = pdq_hex(frame.rgb)
            self._features.append(VpdqFeature(value, quality, frame.timestamp, frame.number))

    def values(self, info: VideoInfo) -> list[SignalValue]:
        video = {"container": info.format, "codec": info.codec, "width": info.width, "height": info.height,
                 "duration": info.duration, "fps": info.fps}
        return [SignalValue(VPDQSignal.name, VPDQSignal.version, str(f), f.quality,
                            {"frame": f.frame, "timestamp": round(f.timestamp, 3), "video": video})
                for f in self._features]


def frame_hex(value: str) -> str:
    """The PDQ hex of a stored frame value (feature or bare hex)."""
    return PDQSignal().parse(value.strip().split(",")[0])


def features_of(values: Iterable[SignalValue]) -> list[VpdqFeature]:
    """The vpdq frames among computed or stored signal values, in time order (bare hexes count as time 0)."""
    frames = []
    for v in values:
        if v.signal == VPDQSignal.name:
            timestamp = parse_feature(v.value).timestamp if "," in v.value else 0.0
            frames.append(VpdqFeature(frame_hex(v.value), v.quality or 0, timestamp, v.extras.get("frame")))
    return sorted(frames, key=lambda f: f.timestamp)


def to_pytx(features: Sequence[VpdqFeature]) -> str:
    """python-threatexchange's vpdq signal string: a JSON list of ``"hex,quality,timestamp"``."""
    return json.dumps([str(f) for f in features])


def from_pytx(text: str) -> list[VpdqFeature]:
    """Read pytx's JSON list, or the same features one per line; InvalidHash names what is wrong."""
    stripped = text.strip()
    try:
        lines = json.loads(stripped) if stripped.startswith("[") else stripped.splitlines()
    except json.JSONDecodeError as exc:
        raise InvalidHash(f"not a vpdq feature list: {exc.msg} at character {exc.pos}") from exc
    return [parse_feature(str(line), number) for number, line in enumerate(lines, 1)]


def parse_feature(text: str, number: int = 1) -> VpdqFeature:
    """One ``hex,quality,timestamp`` feature; InvalidHash says which and why."""
    try:
        value, quality, timestamp = text.strip().split(",")
        feature = VpdqFeature(PDQSignal().parse(value), int(quality), float(timestamp))
    except (ValueError, InvalidHash) as exc:
        raise InvalidHash(f"vpdq feature {number} is not 'hex,quality,timestamp': {text[:100]!r}") from exc
    if not 0 <= feature.quality <= 100 or not 0 <= feature.timestamp < float("inf"):
        raise InvalidHash(f"vpdq feature {number} has quality or timestamp out of range: {text[:100]!r}")
    return feature


def vpdq_match(query: Sequence[VpdqFeature], other: Sequence[VpdqFeature], *, min_quality: int = MIN_QUALITY,
               distance: int = FRAME_DISTANCE) -> VpdqMatch:
    """Compare two videos frame set against frame set (quality filter, then dedupe, then brute force)."""
    mine, theirs = _distinct(query, min_quality), _distinct(other, min_quality)
    if not mine or not theirs:
        raise SignalError(f"vpdq: no frame of quality >= {min_quality} on one side; nothing to compare")
    a, b = _words(mine), _words(theirs)
    nearest = np.empty(len(a), np.int64)  # each query frame's distance to the nearest other frame
    met = np.zeros(len(b), bool)  # other frames within ``distance`` of some query frame
    for start in range(0, len(a), COMPARE_BLOCK):  # block by block: two long lists never make one huge matrix
        block = a[start:start + COMPARE_BLOCK]
        dist = sum(np.bitwise_count(block[:, None, w] ^ b[None, :, w]) for w in range(4))
        nearest[start:start + len(block)] = dist.min(axis=1)
        met |= (dist <= distance).any(axis=0)
    matched = nearest[nearest <= distance]
    return VpdqMatch(100.0 * matched.size / len(a), 100.0 * float(met.mean()),
                     round(float(matched.mean()), 2) if matched.size else float(distance + 1))


def _distinct(features: Sequence[VpdqFeature], min_quality: int) -> list[str]:
    return list(dict.fromkeys(f.pdq_hex for f in features if f.quality >= min_quality))


def _words(values: list[str]) -> np.ndarray:
    return hex_to_codes(values).view(">u8").astype(np.uint64)
