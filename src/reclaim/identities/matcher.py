"""Compare faces found in media with the enrolled identities only, and log every comparison.

There is no "who is this" query: a face is compared with the descriptors of the people enrolled with consent,
and answers only "this looks like <enrolled name>" within the same-person distance (0.6; flagged at 0.5).
With nobody enrolled the matcher does not exist and faces are not even computed (``face_opt_in``).
Each face reports its nearest identity (the minimum distance over that person's photos).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import delete, exists, func, select
from sqlalchemy.orm import Session

from reclaim.errors import UserError
from reclaim.identities import audit
from reclaim.identities.spans import fold_spans
from reclaim.index.face_vectors import Box, FaceVectorIndex, face_time, unpack_face
from reclaim.models import SignalValue
from reclaim.signals.face import AUTO_FLAG, INSTALL_HINT, SAME_PERSON, FaceSignal, faces_available
from reclaim.store.caches import cache_folder
from reclaim.store.models import FaceMatchRow, Identity, IdentitySource, Item, ItemSignal

# A logistic in the distance: 0.5 at the same-person threshold, ~0.9 at the auto-flag distance. Its width was
# chosen on bench/faces.py's composites, the very kind of image it is reported for, and it has never been
# checked on held-out data: it is a score that orders matches, not a probability. Evidence prints the distance
# and the thresholds it is compared with; the report says so (evidence/templates/report.html.j2).
_MIDPOINT, _WIDTH = SAME_PERSON, 0.045


def face_score(distance: float) -> float:
    """0-1, higher is nearer; an uncalibrated score (see above), never to be called a confidence."""
    return 1.0 / (1.0 + math.exp((distance - _MIDPOINT) / _WIDTH))


def face_match_json(identity: str, distance: float, box: Sequence[int], *, frame_time: float | None = None,
                    span: tuple[float, float] | None = None) -> dict[str, Any]:
    """The one JSON shape of a face match, live (``match``, ``scan``) or stored (cases, manifest): the distance
    with the thresholds it is compared with (same person <= 0.6; flagged without a human <= 0.5), the box, and
    for a video the best frame's time and the span the face shows in."""
    row: dict[str, Any] = {"signal_type": FaceSignal.name, "identity": identity, "distance": round(distance, 4),
                           "threshold": SAME_PERSON, "flag_threshold": AUTO_FLAG, "flagged": distance <= AUTO_FLAG,
                           "score": round(face_score(distance), 3), "box": list(box)}
    if frame_time is not None:
        row["frame_time"] = frame_time
    if span is not None:
        row["span"] = [span[0], span[1]]
    return row


def describe_face(row: Mapping[str, Any]) -> str:
    """The human line of a ``face_match_json`` row: the distance, where in a video, and the thresholds."""
    where = f" at {row['frame_time']:g} s" if row.get("frame_time") is not None else ""
    where += f", seen {row['span'][0]:g}-{row['span'][1]:g} s" if row.get("span") else ""
    flagged = "flagged" if row["flagged"] else "not flagged"
    return (f"face distance {row['distance']:.3f}{where} (same person at <= {row['threshold']:g}, "
            f"auto-flag at <= {row['flag_threshold']:g}: {flagged})")


@dataclass(frozen=True)
class FaceMatch:
    identity: str
    distance: float
    score: float  # face_score(distance): uncalibrated
    box: Box
    version: str = FaceSignal.version
    frame_time: float | None = None  # video or animation: seconds to the best frame showing the face
    span: tuple[float, float] | None = None  # and the first and last sampled time it shows in

    @property
    def flagged(self) -> bool:
        return self.distance <= AUTO_FLAG

    def as_json(self) -> dict[str, Any]:
        """The shape ``reclaim match --json`` and scans use in their ``matches`` lists."""
        return face_match_json(self.identity, self.distance, self.box, frame_time=self.frame_time, span=self.span)


def face_cache_dir(session: Session) -> Path:
    """Where the face graph is kept: the database's cache folder (``store.caches``)."""
    return cache_folder(session)


def face_opt_in(session: Session) -> frozenset[str]:
    """``{"face"}`` when someone is enrolled (faces must then be computed), else nothing."""
    if session.scalar(select(func.count()).select_from(Identity)) == 0:
        return frozenset()
    if not faces_available():
        raise UserError(f"identities are enrolled, so scans look for their faces; {INSTALL_HINT}")
    return frozenset({FaceSignal.name})


class FaceMatcher:
    """The enrolled descriptors in memory, built once per command, answering per item."""

    def __init__(self, sources: Sequence[tuple[int, str, np.ndarray]], actor: str,
                 cache_dir: Path | None = None) -> None:
        self.actor = actor
        self._names = {ref: name for ref, name, _ in sources}
        self._index = FaceVectorIndex(cache_dir=cache_dir)
        if sources:
            self._index.add_vectors([ref for ref, _, _ in sources], np.stack([v for _, _, v in sources]))

    @classmethod
    def from_store(cls, session: Session, actor: str, names: Sequence[str] = ()) -> FaceMatcher:
        query = select(IdentitySource.id, Identity.name, IdentitySource.descriptor).join(Identity)
        if names:
            query = query.where(Identity.name.in_(names))
        query = query.order_by(IdentitySource.id)  # the same enrolment gives the same graph file name
        rows = [(ref, name, np.frombuffer(blob, dtype=np.float32)) for ref, name, blob in session.execute(query)]
        return cls(rows, actor, face_cache_dir(session))

    @property
    def identities(self) -> list[str]:
        return sorted(set(self._names.values()))

    def match(self, session: Session, values: Iterable[SignalValue], *, query: str,
              action: str = "match") -> list[FaceMatch]:
        """Each face's nearest enrolled identity within 0.6, best first; one audit row per query with faces. Faces
        in a video's frames are folded into one match per identity and span (``identities.spans``)."""
        faces = [v for v in values if v.signal == FaceSignal.name]
        if not faces or not self._names:
            return []
        found = []
        for value in faces:
            if value.version != FaceSignal.version:
                continue
            descriptor, box = unpack_face(value.value)
            hits = self._index.query_vector(descriptor, SAME_PERSON)
            if hits:
                best = hits[0]
                found.append(FaceMatch(self._names[best.ref], best.distance, face_score(best.distance), box,
                                       frame_time=face_time(value.value)))
        times = [t for v in faces if v.version == FaceSignal.version and (t := face_time(v.value)) is not None]
        found = fold_spans(found, times)
        found.sort(key=lambda m: (m.distance, m.identity))
        audit.record(session, self.actor, action, query, compared=self.identities, faces=len(faces),
                     matched=[m.identity for m in found])
        return found


def items_missing_faces(session: Session, case_id: int) -> set[str]:
    """Locators of hashed items with no face values, scanned before the current identities were all enrolled
    (faces were perhaps not looked for then): a scan hashes them again."""
    since = select(func.min(Identity.enrolled_at)).scalar_subquery()
    has_face = exists().where(ItemSignal.item_id == Item.id, ItemSignal.signal == FaceSignal.name)
    return set(session.scalars(select(Item.locator).where(
        Item.case_id == case_id, Item.status == "hashed", Item.scanned_at < since, ~has_face)))


def replace_face_matches(session: Session, found: Mapping[int, Sequence[FaceMatch]]) -> None:
    """Store these items' face matches (by item id) in place of their previous ones, so a rerun reflects removals
    at once. One delete for the batch: a delete per item cost a scan more than its matching."""
    session.execute(delete(FaceMatchRow).where(FaceMatchRow.item_id.in_(list(found))))
    session.add_all(FaceMatchRow(item_id=item_id, identity=m.identity, signal_version=m.version,
                                 distance=m.distance, confidence=m.score, flagged=m.flagged, box=list(m.box),
                                 frame_time=m.frame_time, span_start=m.span[0] if m.span else None,
                                 span_end=m.span[1] if m.span else None)
                    for item_id, matches in found.items() for m in matches)
