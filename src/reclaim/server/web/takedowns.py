"""The takedown tracker of a case (state, deadline, overdue, items removed), drafting a new request, and one
request's page: the notice as drafted, its history, and recording what happened (sent, acknowledged, removed...).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from reclaim.errors import UserError
from reclaim.evidence.casefiles import CaseFiles
from reclaim.server.auth import StaffUser
from reclaim.server.deps import SessionDep
from reclaim.server.templating import render
from reclaim.server.web.common import stored_id, visible_case
from reclaim.store.models import Item, TakedownEvent, TakedownItem, TakedownRequest
from reclaim.takedown.notices import DraftSpec, Requester, Selection, draft_request, notice_text, parse_locations
from reclaim.takedown.platforms import PLATFORMS
from reclaim.takedown.tracking import NEXT, State, request_rows, transition

router = APIRouter(include_in_schema=False)


def _tracker(request: Request, session: SessionDep, name: str, error: str | None = None,
             status_code: int = 200) -> HTMLResponse:
    rows = request_rows(session, name)
    return render(request, "takedowns.html", {
        "case_name": name, "rows": rows, "overdue": sum(r.overdue for r in rows), "platforms": list(PLATFORMS),
        "selections": [s.value for s in Selection], "error": error}, status_code=status_code)


@router.get("/cases/{name}/takedowns", response_class=HTMLResponse)
def tracker(request: Request, name: str, who: StaffUser, session: SessionDep) -> HTMLResponse:
    visible_case(session, name, who)
    return _tracker(request, session, name)


@router.post("/cases/{name}/takedowns")
def draft(request: Request, name: str, who: StaffUser, session: SessionDep,
          platform: Annotated[str, Form(max_length=50)], lang: Annotated[str, Form(max_length=5)],
          requester: Annotated[str, Form(max_length=200)], email: Annotated[str, Form(max_length=200)],
          organisation: Annotated[str, Form(max_length=200)] = "",
          selection: Annotated[Selection, Form()] = Selection.CONFIRMED,
          locations: Annotated[str, Form(max_length=100_000)] = "") -> Response:
    """Draft a notice (state drafted) as ``reclaim takedown draft`` does; a refusal is shown on the page."""
    visible_case(session, name, who)
    try:
        spec = DraftSpec(platform, lang, Requester(requester, email, organisation), selection=selection,
                         locations=parse_locations(locations.splitlines()))
        drafted = draft_request(session, name, spec, actor=who.name)
    except UserError as exc:
        session.rollback()
        return _tracker(request, session, name, exc.message, 400)
    return RedirectResponse(f"/cases/{name}/takedowns#request-{drafted.id}", status_code=303)


def _case_request(session: SessionDep, name: str, request_id: int, who: StaffUser) -> TakedownRequest:
    case = visible_case(session, name, who)
    found = session.get(TakedownRequest, stored_id(request_id, "takedown request"))
    if found is None or found.case_id != case.id:
        raise HTTPException(404, f"case {name} has no takedown request #{request_id}")
    return found


def _request_page(request: Request, session: SessionDep, name: str, request_id: int, who: StaffUser,
                  error: str | None = None, status_code: int = 200) -> HTMLResponse:
    found = _case_request(session, name, request_id, who)
    row = next(r for r in request_rows(session, name) if r.id == found.id)
    items = session.execute(select(TakedownItem, Item.locator).join(Item, Item.id == TakedownItem.item_id)
                            .where(TakedownItem.request_id == found.id).order_by(TakedownItem.id)).all()
    events = session.scalars(select(TakedownEvent).where(TakedownEvent.request_id == found.id)
                             .order_by(TakedownEvent.at, TakedownEvent.id)).all()
    return render(request, "takedown.html", {
        "case_name": name, "req": found, "row": row, "items": items, "events": events,
        "text": notice_text(found.subject, found.body), "address": PLATFORMS[found.platform].address
        if found.platform in PLATFORMS else "", "next_states": sorted(s.value for s in NEXT[State(found.state)]),
        "error": error}, status_code=status_code)


@router.get("/cases/{name}/takedowns/{request_id}", response_class=HTMLResponse)
def request_page(request: Request, name: str, request_id: int, who: StaffUser, session: SessionDep) -> HTMLResponse:
    return _request_page(request, session, name, request_id, who)


def _custody(actor: str, action: str, object_sha256: str | None, details: dict[str, Any]) -> None:
    """A sign-off (sent) becomes a signed entry in the case's custody log, as with ``reclaim takedown mark``."""
    CaseFiles.for_case(details["case"]).record(actor, action, object_sha256, details)


@router.post("/cases/{name}/takedowns/{request_id}/state")
def change_state(request: Request, name: str, request_id: int, who: StaffUser, session: SessionDep,
                 state: Annotated[State, Form()], note: Annotated[str, Form(max_length=2000)] = "",
                 reference: Annotated[str, Form(max_length=500)] = "") -> Response:
    """Record what happened to a request (``reclaim takedown mark``): a refused move is shown on the page."""
    found = _case_request(session, name, request_id, who)
    try:
        transition(session, found, state, who.name, note=note.strip(), reference=reference.strip(),
                   custody=_custody)
    except UserError as exc:
        session.rollback()
        return _request_page(request, session, name, request_id, who, exc.message, 400)
    return RedirectResponse(f"/cases/{name}/takedowns/{request_id}", status_code=303)
