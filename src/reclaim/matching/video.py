"""The video rules of matching (DESIGN.md), used by the Matcher.

A video carries one ``vpdq`` value per sampled frame, and a banked video one entry per frame. Three rules:

- video against banked video: they match when >= 80 % of either one's distinct good frames lie within
  31 bits of some frame of the other (``vpdq_match``); ``match_percent`` says how much;
- video against banked photo (``pdq``): any frame within the bank's PDQ threshold matches — a fake photo
  turned into a clip; the Matcher runs this through its PDQ index with ``frames_as_photos``;
- photo against banked video: the photo matches when it is within reach of any banked frame — a still
  pulled from a known fake video.

Frame matches report ``frame_time``: the query video's frame, or the banked video's frame. Candidate videos
come from one PDQ index over every banked frame, so the whole frame-set comparison runs only for videos
sharing at least one close frame with the query.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from reclaim.errors import SignalError
from reclaim.index.pdq import PDQHashIndex
from reclaim.models import BankEntry, Match, SignalValue
from reclaim.signals.pdq import PDQSignal
from reclaim.signals.vpdq import VpdqFeature, VPDQSignal, features_of, parse_feature, vpdq_match

VIDEO = VPDQSignal.name
PHOTO = PDQSignal.name
FRAME_TIME = "frame_time"  # the extras key that carries a frame's time through a PDQ query
# Video frames are hashed by the same PDQ as photos; a frame may meet a photo hash of this version.
FRAME_PDQ_VERSION = PDQSignal.version




def frames_as_photos(values: Sequence[SignalValue]) -> list[SignalValue]:
    """Each vpdq frame as a PDQ query carrying its time, so banked photos are found with their own thresholds."""
    return [SignalValue(PHOTO, FRAME_PDQ_VERSION, f.pdq_hex, f.quality, {FRAME_TIME: f.timestamp})
            for f in features_of(v for v in values if v.signal == VIDEO and v.version == VPDQSignal.version)]


def query_version(versions: Mapping[str, str], signal: str) -> str:
    """The version of the item's signal behind a match on ``signal`` (a video's frames meet photos and back)."""
    return versions.get(signal) or versions.get(VIDEO if signal == PHOTO else PHOTO, "")


class VideoMatcher:
    """Banked videos (vpdq entries grouped by bank and content id) and one index over all their frames."""

    def __init__(self, entries: Mapping[int, BankEntry]) -> None:
        self._entries = {ref: e for ref, e in entries.items() if e.version == VPDQSignal.version}
        self._videos: dict[tuple[str, str], list[int]] = {}
        self._features = {ref: parse_feature(e.value) if "," in e.value else VpdqFeature(e.value, 100, 0.0)
                          for ref, e in self._entries.items()}  # a bare hex (an imported list) has no time
        for ref, entry in self._entries.items():
            self._videos.setdefault((entry.bank, entry.content_id), []).append(ref)
        self._index = PDQHashIndex()
        self._index.add(list(self._features), [f.pdq_hex for f in self._features.values()])
        self._reach = max((e.threshold for e in self._entries.values()), default=0.0)

    def match(self, values: Sequence[SignalValue]) -> list[Match]:
        """Matches of this item's video frames and photo hashes against the banked videos."""
        if not self._entries:
            return []
        frames = [v for v in values if v.signal == VIDEO and v.version == VPDQSignal.version]
        photos = [v for v in values if v.signal == PHOTO and v.version == FRAME_PDQ_VERSION]
        return self._video_matches(features_of(frames)) + self._photo_matches(photos)

    def _video_matches(self, query: list[VpdqFeature]) -> list[Match]:
        candidates = {(self._entries[hit.ref].bank, self._entries[hit.ref].content_id)
                      for value in dict.fromkeys(f.pdq_hex for f in query)
                      for hit in self._index.query(value, self._reach)}
        found = []
        for key in sorted(candidates):
            refs = self._videos[key]
            entry = self._entries[refs[0]]
            try:
                result = vpdq_match(query, [self._features[r] for r in refs], min_quality=entry.min_quality,
                                    distance=int(entry.threshold))
            except SignalError:
                continue  # no good frames on one side: nothing to say either way
            if result.is_match:
                found.append(Match(entry.bank, entry.bank_kind, entry.content_id, VIDEO, result.distance, refs[0],
                                   entry.value, shares=(result.query_percent, result.compared_percent)))
        return found

    def _photo_matches(self, photos: list[SignalValue]) -> list[Match]:
        best: dict[tuple[str, str], Match] = {}
        for photo in photos:
            for hit in self._index.query(photo.value, self._reach):
                entry, frame = self._entries[hit.ref], self._features[hit.ref]
                if hit.distance > entry.threshold or min(frame.quality, _quality(photo)) < entry.min_quality:
                    continue
                key = (entry.bank, entry.content_id)
                if key not in best or hit.distance < best[key].distance:
                    best[key] = Match(entry.bank, entry.bank_kind, entry.content_id, VIDEO, hit.distance, hit.ref,
                                      entry.value, frame_time=frame.timestamp)
        return list(best.values())


def _quality(value: SignalValue) -> int:
    return 100 if value.quality is None else value.quality
