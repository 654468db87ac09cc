"""The face audit log: every face query, refusal, enrolment and removal, with who asked (DESIGN.md, privacy rule 2).

Rows are only ever added. A refusal is committed before the ConsentError is raised, so rolling back the
caller's work never erases the record that someone asked.
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from reclaim.store.models import FaceAudit


def current_actor() -> str:
    """Who is asking: RECLAIM_ACTOR (a case officer's name, a service account), else the OS user."""
    return os.environ.get("RECLAIM_ACTOR") or getpass.getuser()


@dataclass(frozen=True)
class AuditEntry:
    at: datetime
    actor: str
    action: str
    query: str
    compared: list[str]
    faces: int
    matched: list[str]
    outcome: str


def record(session: Session, actor: str, action: str, query: str, *, compared: Sequence[str] = (),
           faces: int = 0, matched: Sequence[str] = (), outcome: str = "ok") -> None:
    session.add(FaceAudit(actor=actor[:200], action=action, query=query, compared=sorted(set(compared)),
                          faces=faces, matched=sorted(set(matched)), outcome=outcome))


def record_refusal(session: Session, actor: str, action: str, query: str) -> None:
    """Log a refused face query and commit it at once (see the module docstring)."""
    record(session, actor, action, query, outcome="refused")
    session.commit()


def audit_log(session: Session, limit: int = 100) -> list[AuditEntry]:
    """The newest entries first."""
    rows = session.scalars(select(FaceAudit).order_by(FaceAudit.id.desc()).limit(limit))
    return [AuditEntry(r.at, r.actor, r.action, r.query, list(r.compared), r.faces, list(r.matched), r.outcome)
            for r in rows]
