"""One score per item, most certain and most harmful first, with the one line that says why.

Each piece of evidence is a probability that the item is abuse aimed at someone this case protects, and the
pieces combine as independent reasons (noisy-OR: 1 - prod(1 - p)), so the score stays within 0-100, one
strong reason is enough, and weak ones add up without ever outweighing a strong one:

    known-bank match     exact 0.97; PDQ 0.70 + 0.25 x (1 - distance/31); keypoints likewise (distance:
                         1 - inlier score); several found by one bank are one reason, said once
    enrolled face        0.85 x face score (0.5 at distance 0.6; identities.face_score)

These weights are set by hand to order the review queue; the score is a priority, not a probability.
    message names them   0.30 (an enrolled name or a case term in the caption or text, however spaced)
    doxxing beside media 0.25 (a phone number, ID number or address posted with the media)
    provenance lead      generated 0.20, watermark 0.20, edited 0.05 (leads, never verdicts)
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from reclaim.cases.matches import MatchView, matches_by_item
from reclaim.cases.mentions import Term, doxxing, find_mentions, message_text
from reclaim.cases.service import get_case
from reclaim.cases.terms import case_terms
from reclaim.identities.matcher import face_score
from reclaim.models import BankKind
from reclaim.signals.face import SAME_PERSON
from reclaim.signals.provenance import EDITED, GENERATED, WATERMARK, Lead, provenance_leads
from reclaim.store.models import Identity, Item

_LEAD_WEIGHT = {GENERATED: 0.20, WATERMARK: 0.20, EDITED: 0.05}


@dataclass(frozen=True)
class Reason:
    weight: float  # 0-1
    text: str


@dataclass(frozen=True)
class Triage:
    locator: str
    score: int  # 0-100
    explanation: str
    reasons: list[Reason] = field(default_factory=list)


def score(reasons: Sequence[Reason]) -> tuple[int, str]:
    """Combine reasons (noisy-OR) and say the strongest ones in one line, each once."""
    remaining = 1.0
    for reason in reasons:
        remaining *= 1.0 - min(max(reason.weight, 0.0), 1.0)
    ordered = list(dict.fromkeys(r.text for r in sorted(reasons, key=lambda r: -r.weight)))
    line = "; ".join(ordered[:3]) + (f"; +{len(ordered) - 3} more" if len(ordered) > 3 else "")
    return round(100 * (1.0 - remaining)), line or "no signal"


def _noisy_or(weights: Iterable[float]) -> float:
    remaining = 1.0
    for weight in weights:
        remaining *= 1.0 - weight
    return 1.0 - remaining


def bank_reasons(matches: Iterable[MatchView]) -> list[Reason]:
    """One reason per bank and kind of match, however many known images it found (a collage holds several,
    and sha256 and md5 find the same copy twice); its weight is their noisy-OR, so the score is the same as
    if each counted alone."""
    groups: dict[tuple[str, str], dict[str, MatchView]] = {}
    for m in matches:
        kind = "exact" if m.signal_type in ("sha256", "md5") else m.signal_type
        groups.setdefault((str(m.bank), kind), {}).setdefault(str(m.content_id), m)
    reasons = []
    for (bank, kind), found in groups.items():
        rows = sorted(found.values(), key=lambda m: m.distance)
        weight = _noisy_or(_bank_weight(m) for m in rows)
        images = "a known image" if len(rows) == 1 else f"{len(rows)} known images"
        if kind == "exact":
            text = f"exact copy of {images} ({bank})"
        elif kind == "keypoints":
            inliers = ", ".join(str((m.details or {}).get("inliers", "?")) for m in rows)
            text = f"{images} inside it ({bank}, keypoints: {inliers} inliers)"
        else:
            spread = f"{rows[0].distance:g}" + (f"-{rows[-1].distance:g}" if rows[-1].distance != rows[0].distance
                                                 else "")
            text = f"{images} ({bank}, {kind} distance {spread})"
        reasons.append(Reason(weight, text))
    return reasons


def _bank_weight(m: MatchView) -> float:
    if m.signal_type in ("sha256", "md5"):
        return 0.97
    return 0.70 + 0.25 * max(0.0, 1.0 - m.distance / 31)


def face_reason(identity: str, distance: float) -> Reason:
    return Reason(0.85 * face_score(distance),
                  f"face of enrolled {identity} (distance {distance:.2f}, same person at <= {SAME_PERSON:g})")


def text_reasons(context: dict[str, Any], terms: Iterable[Term], has_media: bool) -> list[Reason]:
    text = message_text(context)
    reasons = [Reason(0.30, f"message names {m.term}") for m in find_mentions(text, terms)]
    posted = doxxing(text) if has_media else []
    return reasons + ([Reason(0.25, f"posts {', '.join(posted)} beside the media")] if posted else [])


def lead_reasons(leads: Iterable[Lead]) -> list[Reason]:
    return [Reason(_LEAD_WEIGHT[lead.kind], f"{lead.kind} lead: {lead.evidence[:80]}") for lead in leads]


def triage_case(session: Session, case_name: str, *, read_files: bool = True,
                item_ids: Collection[int] | None = None) -> list[Triage]:
    """Every item of the case (or only ``item_ids``), highest score first; ``read_files`` adds provenance
    leads from the files."""
    case = get_case(session, case_name)
    terms = [Term("name", n) for n in session.scalars(select(Identity.name))] + case_terms(session, case_name)
    chosen = Item.case_id == case.id
    if item_ids is not None:
        chosen = chosen & Item.id.in_(item_ids)
    found = matches_by_item(session, chosen)
    out = []
    for item in session.scalars(select(Item).where(chosen)):
        matches = [m for m in found.get(item.id, []) if not m.suppressed]
        reasons = bank_reasons(m for m in matches if m.bank_kind == BankKind.KNOWN.value)
        reasons += [face_reason(str(m.identity), m.distance) for m in matches if m.is_face]
        reasons += text_reasons(item.context or {}, terms, item.sha256 is not None)
        path = Path(item.locator)
        if read_files and item.status == "hashed" and path.is_file():
            reasons += lead_reasons(provenance_leads(path.read_bytes()))
        value, line = score(reasons)
        out.append(Triage(item.locator, value, line, reasons))
    return sorted(out, key=lambda t: (-t.score, t.locator))
