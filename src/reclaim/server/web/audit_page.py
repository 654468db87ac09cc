"""The access audit log for staff: sign-ins, refusals, unblurred views, exports."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from reclaim.accounts import access_log
from reclaim.server.auth import StaffUser
from reclaim.server.deps import SessionDep
from reclaim.server.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/audit", response_class=HTMLResponse)
def audit_log(request: Request, who: StaffUser, session: SessionDep, actor: str | None = None) -> HTMLResponse:
    return render(request, "audit.html", {"entries": access_log(session, 200, actor=actor or None),
                                          "actor": actor or ""})
