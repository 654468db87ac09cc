"""Bank management for staff: every bank with its size, creating one, and withdrawing an entry."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from reclaim.banks import create_bank, list_banks, withdraw_content
from reclaim.errors import UserError
from reclaim.models import BankKind
from reclaim.server.auth import StaffUser, authorize_bank_settings
from reclaim.server.deps import SessionDep
from reclaim.server.templating import render

router = APIRouter(include_in_schema=False)


def _page(request: Request, session: SessionDep, error: str | None = None, status_code: int = 200) -> HTMLResponse:
    return render(request, "banks.html", {"banks": list_banks(session), "kinds": [k.value for k in BankKind],
                                          "error": error}, status_code=status_code)


@router.get("/banks", response_class=HTMLResponse)
def banks(request: Request, who: StaffUser, session: SessionDep) -> HTMLResponse:
    return _page(request, session)


@router.post("/banks")
def new_bank(request: Request, who: StaffUser, session: SessionDep, name: Annotated[str, Form(max_length=200)],
             kind: Annotated[BankKind, Form()] = BankKind.KNOWN,
             pdq_threshold: Annotated[int, Form(ge=0, le=128)] = 31) -> Response:
    authorize_bank_settings(who, None, pdq_threshold=pdq_threshold)
    try:
        create_bank(session, name.strip(), kind, pdq_threshold)
    except UserError as exc:
        session.rollback()
        return _page(request, session, exc.message, 400)
    return RedirectResponse("/banks", status_code=303)


@router.post("/banks/{name}/withdraw")
def withdraw(request: Request, name: str, who: StaffUser, session: SessionDep,
             content_id: Annotated[str, Form(max_length=500)]) -> Response:
    """Withdraw an entry: kept on record, never matched again (on every worker within a second)."""
    try:
        withdraw_content(session, name, content_id.strip())
    except UserError as exc:
        session.rollback()
        return _page(request, session, exc.message, 400)
    return RedirectResponse("/banks", status_code=303)
