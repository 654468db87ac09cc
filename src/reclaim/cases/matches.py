"""One model of "a match" for every reader: a known image found by a hash, by keypoints or in a video, or an
enrolled person's face. Case listings and JSON, the evidence manifest and report, takedown selection, triage
and the web pages read an item's matches here, so an item matched only by a face is matched everywhere
(DESIGN.md: "a match is a match whatever found it")."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, CompoundSelect, select, union
from sqlalchemy.orm import Session

from reclaim.identities.matcher import face_match_json
from reclaim.signals.face import FaceSignal
from reclaim.store.models import FaceMatchRow, Item, MatchRow


@dataclass(frozen=True)
class MatchView:
    """A stored match. Known-bank matches carry ``bank``, ``bank_kind``, ``content_id`` (and a keypoint match
    its ``details``); face matches carry ``identity`` and ``box`` (and in a video the ``span`` it shows in)."""

    signal_type: str
    distance: float
    suppressed: bool = False
    signal_version: str | None = None
    frame_time: float | None = None  # seconds into a video
    bank: str | None = None
    bank_kind: str | None = None
    content_id: str | None = None
    details: dict[str, Any] | None = None  # a keypoint match's inliers and transform (``KeypointMatch.details``)
    identity: str | None = None
    box: list[int] | None = None
    span: tuple[float, float] | None = None

    @property
    def is_face(self) -> bool:
        return self.signal_type == FaceSignal.name

    @property
    def found(self) -> str:
        """What it matched, in a few words: the bank and known image, or the enrolled person."""
        return f"enrolled face of {self.identity}" if self.is_face else f"{self.bank} / {self.content_id}"

    def as_json(self) -> dict[str, Any]:
        """The record the case commands, the manifest and the report share; a video's adds ``frame_time``, a
        keypoint match's its ``inliers`` and ``transform``, a face's the thresholds its distance is held to."""
        if self.is_face:
            assert self.identity is not None and self.box is not None  # set for every face match
            row = face_match_json(self.identity, self.distance, self.box, frame_time=self.frame_time,
                                  span=self.span)
        else:
            row = {"bank": self.bank, "bank_kind": self.bank_kind, "content_id": self.content_id,
                   "signal_type": self.signal_type, "distance": self.distance,
                   **({"frame_time": self.frame_time} if self.frame_time is not None else {}),
                   **_current_keys(self.details or {})}
        return {**row, "signal_version": self.signal_version, "suppressed": self.suppressed}


def _current_keys(details: dict[str, Any]) -> dict[str, Any]:
    """Keypoint details as stored, with the transform's ``confidence`` (rows stored before the rename) read as
    its ``score``: a hand-set logistic in the inliers, not a calibrated probability."""
    transform = details.get("transform")
    if isinstance(transform, dict) and "confidence" in transform:
        renamed = {k: v for k, v in transform.items() if k != "confidence"}
        return {**details, "transform": {"score": transform["confidence"], **renamed}}
    return details


def _order(m: MatchView) -> tuple[bool, bool, float, str]:
    """Active before suppressed, known images before faces (their distances are not on one scale), nearest
    first."""
    return m.suppressed, m.is_face, m.distance, m.found


def matches_by_item(session: Session, which: ColumnElement[bool]) -> dict[int, list[MatchView]]:
    """Every match of the items ``which`` selects (a condition on ``Item``), best first, by item id; items
    without one are absent."""
    found: dict[int, list[MatchView]] = {}
    for m in session.scalars(select(MatchRow).join(Item, MatchRow.item_id == Item.id).where(which)):
        found.setdefault(m.item_id, []).append(MatchView(
            m.signal, m.distance, m.suppressed, m.signal_version, m.frame_time, bank=m.bank, bank_kind=m.bank_kind,
            content_id=m.content_id, details=m.details))
    for f in session.scalars(select(FaceMatchRow).join(Item, FaceMatchRow.item_id == Item.id).where(which)):
        span = (f.span_start, f.span_end) if f.span_start is not None and f.span_end is not None else None
        found.setdefault(f.item_id, []).append(MatchView(
            FaceSignal.name, f.distance, False, f.signal_version, f.frame_time, identity=f.identity,
            box=list(f.box), span=span))
    return {item_id: sorted(views, key=_order) for item_id, views in found.items()}


def is_matched(matches: Iterable[MatchView]) -> bool:
    """Any match a negative bank did not suppress."""
    return any(not m.suppressed for m in matches)


def matched_item_ids() -> CompoundSelect[tuple[int]]:
    """Ids (column ``item_id``, each once) of items with an active match of any kind, for counting in SQL."""
    return union(select(MatchRow.item_id).where(MatchRow.suppressed.is_(False)), select(FaceMatchRow.item_id))
