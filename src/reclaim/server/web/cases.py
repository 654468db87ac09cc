"""The case list and a case's review queue: items ordered by triage score, then one item's details."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from reclaim.cases import Decision, case_items, list_cases, review_item
from reclaim.cases.service import ItemView
from reclaim.cases.triage import Triage, triage_case
from reclaim.evidence.acquisition import record_reviews
from reclaim.evidence.casefiles import CaseFiles
from reclaim.selfreports import list_reports
from reclaim.server.auth import StaffUser
from reclaim.server.deps import SessionDep
from reclaim.server.templating import render
from reclaim.server.web.common import case_name, visible_case, visible_item
from reclaim.store.models import Case, Item

router = APIRouter(include_in_schema=False)
# What an item's context says about where it was found, by source: (key, label), in the order shown.
CONTEXT_FIELDS = (
    ("chat_name", "Chat"), ("chat_type", "Chat type"), ("poster", "Posted by"), ("posted_at", "Posted (UTC)"),
    ("forwarded_from", "Forwarded from"), ("via_bot", "Via bot"), ("edited_at", "Edited"), ("caption", "Caption"),
    ("link", "Message link"), ("media_path", "File in the export"),
    ("url", "URL"), ("final_url", "Final URL"), ("found_on", "Found on page"), ("fetched_at", "Fetched (UTC)"),
    ("content_type", "Content type"), ("archive", "Archive"), ("member", "Archive member"), ("s3", "S3 object"),
)


@dataclass(frozen=True)
class QueueRow:
    item_id: int
    view: ItemView
    triage: Triage

    @property
    def name(self) -> str:
        return display_name(self.view.locator)


def display_name(locator: str) -> str:
    """A file's name, or "message N" for a chat message (telegram:<chat>/<message id>)."""
    last = locator.rsplit("/", 1)[-1]
    return f"message {last}" if locator.startswith("telegram:") else last


@router.get("/", response_class=HTMLResponse)
def case_list(request: Request, who: StaffUser, session: SessionDep) -> HTMLResponse:
    cases = list_cases(session)
    return render(request, "cases.html", {"cases": cases, "self_reports": list_reports(session),
                                          "case_names": [c.name for c in cases]})


def review_queue(session: Session, case: Case) -> tuple[list[QueueRow], list[QueueRow], int]:
    """(items with any signal, best first; items with none; unreadable files)."""
    ids = {row.locator: row.id for row in session.execute(select(Item.locator, Item.id).where(Item.case_id == case.id))}
    scores = {t.locator: t for t in triage_case(session, case.name, read_files=False)}
    rows: list[QueueRow] = []
    quiet: list[QueueRow] = []
    failed = 0
    for view in case_items(session, case.name):
        if view.status != "hashed":
            failed += 1
            continue
        row = QueueRow(ids[view.locator], view, scores.get(view.locator, Triage(view.locator, 0, "")))
        (rows if row.triage.score > 0 else quiet).append(row)
    rows.sort(key=lambda r: (-r.triage.score, r.view.locator))
    return rows, quiet, failed


@router.get("/cases/{name}", response_class=HTMLResponse)
def case_page(request: Request, name: str, who: StaffUser, session: SessionDep) -> HTMLResponse:
    case = visible_case(session, name, who)
    rows, quiet, failed = review_queue(session, case)
    return render(request, "case.html", {"case": case, "rows": rows, "quiet": quiet, "failed": failed,
                                         "decisions": list(Decision)})


@router.get("/items/{item_id}", response_class=HTMLResponse)
def item_page(request: Request, item_id: int, who: StaffUser, session: SessionDep) -> HTMLResponse:
    item = visible_item(session, item_id, who)
    case = session.get_one(Case, item.case_id)
    (view,) = case_items(session, case.name, item_ids=[item.id])
    (triage,) = triage_case(session, case.name, read_files=False, item_ids=[item.id])
    faces = [m for m in view.matches if m.is_face]  # boxes drawn on the picture; listed with the other matches
    size = (item.width or 0, item.height or 0)
    return render(request, "item.html", {"case": case, "item": item, "view": view, "triage": triage,
                                         "faces": faces, "size": size, "decisions": list(Decision),
                                         "context_fields": CONTEXT_FIELDS,
                                         "name": display_name(item.locator)})


@router.post("/items/{item_id}/review", response_class=HTMLResponse)
def review(request: Request, item_id: int, who: StaffUser, session: SessionDep,
           decision: Annotated[Decision, Form()], note: Annotated[str, Form(max_length=2000)] = "") -> HTMLResponse:
    """Record a decision (confirmed items are banked, and the decision enters the case's custody log, as with
    ``reclaim case review``); answers the new state."""
    item = visible_item(session, item_id, who)
    case = case_name(session, item)
    recorded = review_item(session, case, item.locator, decision, who.name, note)
    record_reviews(session, CaseFiles.for_case(case), [recorded], who.actor)
    return render(request, "_decision.html", {"item_id": item.id, "decision": decision.value, "reviewer": who.name,
                                              "decisions": list(Decision)})
