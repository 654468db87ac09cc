"""The people a case is about. Only identities enrolled with recorded consent can be linked (face search
answers only for them); a refused link is written to the face audit log like any refused face query.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from reclaim.cases.service import get_case
from reclaim.errors import AlreadyExists
from reclaim.identities.service import require_identity
from reclaim.store.models import CaseVictim, Identity


def add_victim(session: Session, case_name: str, identity_name: str, *, actor: str) -> CaseVictim:
    case = get_case(session, case_name)
    identity = require_identity(session, identity_name, actor=actor, action="case.add_victim")
    if session.scalar(select(CaseVictim).where(CaseVictim.case_id == case.id, CaseVictim.identity_id == identity.id)):
        raise AlreadyExists(f"case {case_name}: {identity_name} is already a victim in this case")
    link = CaseVictim(case_id=case.id, identity_id=identity.id, added_by=actor)
    session.add(link)
    session.flush()
    return link


def case_victims(session: Session, case_name: str) -> list[dict[str, str | None]]:
    """Name and consent record of each victim, for listings and the evidence summary."""
    case = get_case(session, case_name)
    rows = session.scalars(
        select(Identity).join(CaseVictim, CaseVictim.identity_id == Identity.id)
        .where(CaseVictim.case_id == case.id).order_by(Identity.name)
    )
    return [{"name": i.name, "consent_recorded_by": i.recorded_by, "on_behalf_of": i.on_behalf_of} for i in rows]
