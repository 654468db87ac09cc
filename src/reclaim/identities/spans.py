"""A person seen over time in a video is one match per stretch of time, not one per frame.

Faces found in a video's frames each carry their frame's time. For each identity, sightings no further apart
than ``GAP_STEPS`` sampling steps belong to one span (a frame or two where the detector missed the face does not
split it); each span keeps its best frame (the smallest distance) with the span's first and last time. The
sampling step is read from the item's own face times (the median gap between them, at least one second), so
a long video looked at every 20 s is folded as well as a short one looked at every second.
"""

from __future__ import annotations

import dataclasses
import statistics
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from reclaim.identities.matcher import FaceMatch

GAP_STEPS = 2.5
MIN_STEP = 1.0


def fold_spans(found: Sequence[FaceMatch], times: Sequence[float]) -> list[FaceMatch]:
    """Photo matches unchanged; timed ones folded per identity into spans. ``times``: every face's frame time
    in the item (matched or not), which shows how far apart its frames were looked at."""
    still = [m for m in found if m.frame_time is None]
    gap = GAP_STEPS * sampling_step(times)
    by_identity: dict[str, list[FaceMatch]] = {}
    for match in sorted((m for m in found if m.frame_time is not None), key=lambda m: (m.frame_time, m.distance)):
        by_identity.setdefault(match.identity, []).append(match)
    folded = []
    for sightings in by_identity.values():
        run = [sightings[0]]
        for match in sightings[1:]:
            if _time(match) - _time(run[-1]) > gap:
                folded.append(_span(run))
                run = []
            run.append(match)
        folded.append(_span(run))
    return still + folded


def sampling_step(times: Sequence[float]) -> float:
    distinct = sorted(set(times))
    gaps = [b - a for a, b in zip(distinct, distinct[1:], strict=False)]
    return max(MIN_STEP, statistics.median(gaps)) if gaps else MIN_STEP


def _span(run: list[FaceMatch]) -> FaceMatch:
    best = min(run, key=lambda m: (m.distance, _time(m)))
    return dataclasses.replace(best, span=(_time(run[0]), _time(run[-1])))


def _time(match: FaceMatch) -> float:
    assert match.frame_time is not None  # only timed matches are folded
    return match.frame_time
