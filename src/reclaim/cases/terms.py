"""A case's watch terms (what messages about its victim mention) and who posted its matching items.

Terms belong to the case, not to an enrolled identity: naming a victim in text needs no face and no
consent for face search, only the case that is already about them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from reclaim.cases.mentions import KINDS, Term, fold, phone_digits
from reclaim.cases.service import ItemView, get_case
from reclaim.errors import UserError
from reclaim.store.models import CaseTerm


def add_terms(session: Session, case_name: str, terms: Sequence[Term], *, actor: str) -> int:
    """Add terms not already there; returns how many were new. Refuses terms that would match anything."""
    case = get_case(session, case_name)
    have = {(t.kind, t.value) for t in session.scalars(select(CaseTerm).where(CaseTerm.case_id == case.id))}
    added = 0
    for term in terms:
        if term.kind not in KINDS:
            raise UserError(f"unknown term kind {term.kind!r} (known: {', '.join(KINDS)})")
        usable = len(phone_digits(term.value)) >= 9 if term.kind == "phone" else len(fold(term.value)) >= 2
        if not usable:
            raise UserError(f"{term.kind} {term.value!r} is too short to search for")
        if (term.kind, term.value) not in have:
            session.add(CaseTerm(case_id=case.id, kind=term.kind, value=term.value, added_by=actor))
            have.add((term.kind, term.value))
            added += 1
    session.flush()
    return added


def case_terms(session: Session, case_name: str) -> list[Term]:
    case = get_case(session, case_name)
    rows = session.scalars(select(CaseTerm).where(CaseTerm.case_id == case.id).order_by(CaseTerm.id))
    return [Term(r.kind, r.value) for r in rows]


@dataclass
class Poster:
    """One account that posted a case's matching items: what an investigator hands to the police."""

    poster: str | None
    poster_id: str | None
    items: int = 0
    first_posted: str | None = None
    last_posted: str | None = None
    chats: set[str] = field(default_factory=set)

    def as_json(self) -> dict[str, object]:
        return {"poster": self.poster, "poster_id": self.poster_id, "items": self.items,
                "first_posted": self.first_posted, "last_posted": self.last_posted, "chats": sorted(self.chats)}


def posters(items: Sequence[ItemView]) -> list[Poster]:
    """Posters of the matched items (a known image or an enrolled face, not suppressed), most items first."""
    found: dict[tuple[str | None, str | None], Poster] = {}
    for item in items:
        if not item.matched:
            continue
        context = item.context
        if not (context.get("poster") or context.get("poster_id")):
            continue
        key = (context.get("poster"), context.get("poster_id"))
        entry = found.setdefault(key, Poster(*key))
        entry.items += 1
        when = context.get("posted_at") or context.get("posted_at_local")
        if when:
            entry.first_posted = min(filter(None, [entry.first_posted, when]))
            entry.last_posted = max(filter(None, [entry.last_posted, when]))
        if context.get("chat_name"):
            entry.chats.add(str(context["chat_name"]))
    return sorted(found.values(), key=lambda p: (-p.items, str(p.poster)))
