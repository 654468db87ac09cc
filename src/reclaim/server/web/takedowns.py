"""The takedown tracker of a case (state, deadline, overdue, items removed) and drafting a new request."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from reclaim.errors import UserError
from reclaim.server.auth import StaffUser
from reclaim.server.deps import SessionDep
from reclaim.server.templating import render
from reclaim.server.web.common import visible_case
from reclaim.takedown.notices import DraftSpec, Requester, Selection, draft_request, parse_locations
from reclaim.takedown.platforms import PLATFORMS
from reclaim.takedown.tracking import request_rows

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
