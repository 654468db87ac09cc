"""The access audit log (DESIGN.md privacy rules): every read of media or faces, sign-in and refusal.

Rows are only ever added. Entries are committed by the caller's session; a refusal is committed before the
error is raised, so a rollback cannot erase the record that someone asked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from reclaim.store.models import AccessAudit


@dataclass(frozen=True)
class AccessEntry:
    at: datetime
    actor: str
    action: str
    target: str
    client: str
    outcome: str


def record_access(session: Session, actor: str, action: str, target: str, *, client: str = "",
                  outcome: str = "ok") -> None:
    session.add(AccessAudit(actor=actor[:200], action=action[:40], target=target, client=client[:100],
                            outcome=outcome[:30]))


def access_log(session: Session, limit: int = 100, *, actor: str | None = None) -> list[AccessEntry]:
    """The newest entries first, optionally only one actor's."""
    query = select(AccessAudit).order_by(AccessAudit.id.desc()).limit(limit)
    if actor is not None:
        query = query.where(AccessAudit.actor == actor)
    return [AccessEntry(r.at, r.actor, r.action, r.target, r.client, r.outcome) for r in session.scalars(query)]
