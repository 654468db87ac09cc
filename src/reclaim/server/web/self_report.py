"""``/self-report``: a person hashes their own pictures in the browser and sends only the hashes; no account.

The page (``static/selfreport/page.js``) decodes the pictures on the device, computes PDQ with its quality,
MD5 and SHA-256, and posts JSON with hashes only; the server never receives media here. The answer is a case
number and a PIN, shown once. ``/self-report/status`` takes the number and PIN back: counts of active hashes
and of partner lookups that matched, and *withdraw everything*. Anonymous forms are protected like the login
form (a double-submit token in a cookie and the form); creating reports and trying PINs are rate-limited per
client address (and PINs also per case number). No address or other identifying detail is stored.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field, ValidationError
from starlette.concurrency import run_in_threadpool

from reclaim.errors import ReclaimError
from reclaim.selfreports import (
    MAX_ITEMS,
    ReportedItem,
    attach_report,
    create_report,
    find_report,
    report_status,
    withdraw_report,
)
from reclaim.selfreports.service import normalise_number
from reclaim.server.auth import StaffUser, audit, client_address, secure_cookies
from reclaim.server.deps import SessionDep
from reclaim.server.ratelimit import RateLimit
from reclaim.server.templating import render
from reclaim.server.web.self_report_text import SCRIPT_KEYS, TEXT, language
from reclaim.store.models import SelfReport

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)
CSRF_COOKIE = "reclaim_form_csrf"
MAX_BODY = 256 * 1024  # 200 items of hashes fit in ~40 kB
REPORTS = (1 / 120, 5)  # per address: five reports, then one every two minutes
PIN_TRIES = (0.1, 10)  # per address and per case number: ten tries, then one every ten seconds


class ItemIn(BaseModel):
    kind: Literal["photo", "video"]
    md5: str = Field(min_length=32, max_length=32)
    sha256: str | None = Field(None, min_length=64, max_length=64)
    pdq: str | None = Field(None, min_length=64, max_length=64)
    pdq_quality: int | None = Field(None, ge=0, le=100)


class ReportIn(BaseModel):
    consent: bool
    items: list[ItemIn] = Field(min_length=1, max_length=MAX_ITEMS)


def _limits(request: Request) -> dict[str, RateLimit]:
    """This worker's limiters, made on first use (per app, so each test's app starts afresh)."""
    state = request.app.state
    if not hasattr(state, "self_report_limits"):
        state.self_report_limits = {"reports": RateLimit(*REPORTS), "address": RateLimit(*PIN_TRIES),
                                    "number": RateLimit(*PIN_TRIES)}
    limits: dict[str, RateLimit] = state.self_report_limits
    return limits


def _page(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    """A page with the double-submit token in a cookie and in the page (forms and page.js echo it); a token
    already set is kept, so the report page and the status page open side by side both work."""
    held = request.cookies.get(CSRF_COOKIE, "")
    token = held if len(held) == 43 and held.replace("-", "").replace("_", "").isalnum() else secrets.token_urlsafe(32)
    lang = context["lang"]
    page = render(request, name, {"t": TEXT[lang], "script_text": {k: TEXT[lang][k] for k in SCRIPT_KEYS}}
                  | context, status_code=status_code, csrf_token=token)
    page.set_cookie(CSRF_COOKIE, token, httponly=True, samesite="strict", secure=secure_cookies(request),
                    path="/self-report")
    page.headers["Cache-Control"] = "no-store"  # a PIN or counts must not stay in a shared cache
    return page


def _check_token(request: Request, sent: str | None) -> None:
    expected = request.cookies.get(CSRF_COOKIE, "")
    if not expected or not sent or not hmac.compare_digest(expected, sent):
        raise HTTPException(403, "this form expired: reload the page and try again")


@router.get("/self-report", response_class=HTMLResponse)
def self_report_page(request: Request, lang: str | None = None) -> HTMLResponse:
    return _page(request, "self_report.html", {"lang": language(lang)})


@router.post("/self-report")
async def submit_report(request: Request, session: SessionDep) -> JSONResponse:
    """Hashes only (JSON from page.js): a new case number and PIN, the hashes banked and matched at once."""
    _check_token(request, request.headers.get("x-csrf-token"))
    if not request.headers.get("content-type", "").startswith("application/json"):
        raise HTTPException(415, "send the hashes as JSON from the self-report page")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        raise HTTPException(413, f"a self-report is at most {MAX_BODY:,} bytes of hashes")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise HTTPException(413, f"a self-report is at most {MAX_BODY:,} bytes of hashes")
    try:
        report_in = ReportIn.model_validate_json(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise HTTPException(422, f"bad self-report: {where}: {first['msg']}") from exc
    if not report_in.consent:
        raise HTTPException(400, "consent is needed before any hash is sent")
    if not _limits(request)["reports"].take(client_address(request)):
        raise HTTPException(429, "too many reports from this address: wait a few minutes",
                            headers={"Retry-After": "120"})
    items = [ReportedItem(i.md5, i.sha256, i.pdq if i.kind == "photo" else None,
                          i.pdq_quality if i.kind == "photo" else None) for i in report_in.items]
    try:
        # In the thread pool: Argon2id and the writes would otherwise hold up this worker's lookups.
        report, pin = await run_in_threadpool(create_report, session, items)
    except ReclaimError as exc:
        session.rollback()
        raise HTTPException(400, exc.message) from exc
    return JSONResponse({"case_number": report.number, "pin": pin, "items": len(items)}, status_code=201,
                        headers={"Cache-Control": "no-store"})


@router.get("/self-report/status", response_class=HTMLResponse)
def status_page(request: Request, lang: str | None = None) -> HTMLResponse:
    return _page(request, "self_report_status.html", {"lang": language(lang)})


def _checked(request: Request, session: SessionDep, number: str, pin: str,
             lang: str) -> tuple[SelfReport | None, HTMLResponse | None]:
    """(report, None) for the right PIN; (None, refusal page) otherwise. Tries are limited before Argon2 runs."""
    limits = _limits(request)
    lang = language(lang)
    if not (limits["address"].take(client_address(request)) and limits["number"].take(normalise_number(number))):
        page = _page(request, "self_report_status.html", {"lang": lang, "error": TEXT[lang]["slow_down"]}, 429)
        page.headers["Retry-After"] = "10"
        return None, page
    report = find_report(session, number, pin)
    if report is None:
        return None, _page(request, "self_report_status.html", {"lang": lang, "error": TEXT[lang]["wrong"],
                                                                "number": number}, 401)
    return report, None


Number = Annotated[str, Form(max_length=40)]
Pin = Annotated[str, Form(max_length=40)]
Token = Annotated[str, Form(max_length=100)]
Lang = Annotated[str, Form(max_length=5)]


@router.post("/self-report/status", response_class=HTMLResponse)
def check_status(request: Request, session: SessionDep, case_number: Number, pin: Pin, csrf_token: Token = "",
                 lang: Lang = "ko") -> Response:
    _check_token(request, csrf_token)
    report, refusal = _checked(request, session, case_number, pin, lang)
    if refusal is not None:
        return refusal
    assert report is not None
    return _page(request, "self_report_status.html", {"lang": language(lang), "status": report_status(session, report),
                                                      "number": report.number, "pin": pin})


@router.post("/self-report/withdraw", response_class=HTMLResponse)
def withdraw(request: Request, session: SessionDep, case_number: Number, pin: Pin, csrf_token: Token = "",
             lang: Lang = "ko") -> Response:
    """Withdraw every hash of the report: the session commits before the answer, and this worker's matcher
    checks the banks on its next lookup; the others within their poll (well under a second)."""
    _check_token(request, csrf_token)
    report, refusal = _checked(request, session, case_number, pin, lang)
    if refusal is not None:
        return refusal
    assert report is not None
    withdraw_report(session, report)
    return _page(request, "self_report_status.html", {"lang": language(lang), "status": report_status(session, report),
                                                      "number": report.number, "withdrawn": True})


@router.post("/self-reports/{number}/attach")
def attach(request: Request, who: StaffUser, session: SessionDep, number: str,
           case: Annotated[str, Form(max_length=200)]) -> Response:
    """An officer (or admin) attaches a self-report to a case; written to the access audit log."""
    attach_report(session, number, case, who.actor)
    audit(request, who, "self_report.attached", f"self-report:{normalise_number(number)} case:{case}",
          session=session)
    return RedirectResponse("/#self-reports", status_code=303)
