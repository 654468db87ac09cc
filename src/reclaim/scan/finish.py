"""What a scan leaves besides its rows: a custody entry for every stored item, and re-upload follow-ups.

Both are derived from the store rather than hooked into the batches, so a scan killed and resumed still gives
each item exactly one ``item.acquired`` entry, and the follow-ups see every match of the target.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from reclaim.cases.review import case_bank_name
from reclaim.evidence.acquisition import record_acquisitions
from reclaim.evidence.casefiles import CaseFiles
from reclaim.models import Match
from reclaim.store.models import Case
from reclaim.takedown.reuploads import ReuploadReport, find_reuploads


def finish_scan(session: Session, case_name: str, matches: dict[str, list[Match]], actor: str, *,
                custody: bool = True, home: Path | None = None) -> dict[str, ReuploadReport]:
    """Record the case's new acquisitions in its custody log (unless the caller records its own); return the
    re-uploads found, by case."""
    if custody:
        record_acquisitions(session, CaseFiles.for_case(case_name, home), actor)
    return follow_reuploads(session, matches)


def follow_reuploads(session: Session, matches: dict[str, list[Match]]) -> dict[str, ReuploadReport]:
    """Copies of a case's confirmed material among ``matches``: recorded, and drafted as follow-up notices."""
    cases = {row.name for row in session.scalars(select(Case))}
    owners = sorted({c for ms in matches.values() for m in ms for c in cases if m.bank == case_bank_name(c)})
    reports = {name: find_reuploads(session, name) for name in owners}
    return {name: r for name, r in reports.items() if r.found}
