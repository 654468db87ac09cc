"""``/login`` and ``/logout``: browser sessions for people (platforms use API keys instead).

The login form is protected from cross-site posting by a double-submit token: a random cookie set with the
form must come back as the form's ``csrf_token``. Sign-ins are rate-limited per client address and every
attempt is in the access audit log.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from reclaim.accounts import authenticate, end_session, record_access, start_session
from reclaim.accounts.sessions import LIFETIME
from reclaim.server.auth import SESSION_COOKIE, WebUser, client_address, secure_cookies
from reclaim.server.templating import render

router = APIRouter(tags=["session"], include_in_schema=False)
LOGIN_CSRF_COOKIE = "reclaim_login_csrf"


def _safe_next(next_path: str, fallback: str) -> str:
    """Only a path on this site: never ``//host`` or ``https://...``, which would send the user elsewhere."""
    if next_path.startswith("/") and not next_path.startswith("//") and "\\" not in next_path:
        return next_path
    return fallback


def _login_page(request: Request, next_path: str, error: str | None = None, status_code: int = 200) -> HTMLResponse:
    """The form, with a fresh double-submit token in both a cookie and a hidden field."""
    token = secrets.token_urlsafe(32)
    page = render(request, "login.html", {"next": _safe_next(next_path, ""), "error": error},
                  status_code=status_code, csrf_token=token)
    page.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", secure=secure_cookies(request))
    return page


@router.get("/login")
def login_form(request: Request, next: str = "") -> HTMLResponse:  # noqa: A002 - the query parameter's name
    return _login_page(request, next)


@router.post("/login")
def login(request: Request, username: Annotated[str, Form(max_length=200)],
          password: Annotated[str, Form(max_length=1000)], csrf_token: Annotated[str, Form(max_length=100)] = "",
          next: Annotated[str, Form(max_length=2000)] = "") -> Response:  # noqa: A002
    client = client_address(request)
    if not request.app.state.login_limit.take(client):
        raise HTTPException(429, "too many sign-in attempts: wait a minute", headers={"Retry-After": "60"})
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(expected, csrf_token):
        raise HTTPException(403, "the sign-in form expired: reload the page and try again")
    with request.app.state.store.session() as session:
        user = authenticate(session, username, password)
        record_access(session, f"user:{username}", "login", "session", client=client,
                      outcome="ok" if user else "refused")
        token = start_session(session, user) if user else None
        role = user.role if user else None
    if token is None:
        return _login_page(request, next, "Wrong name or password.", 401)
    landing = _safe_next(next, "/my-case" if role == "victim" else "/")
    response = RedirectResponse(landing, status_code=303)
    response.set_cookie(SESSION_COOKIE, token, max_age=int(LIFETIME.total_seconds()), httponly=True,
                        samesite="lax", secure=secure_cookies(request))
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    return response


@router.get("/session")
def current_session(who: WebUser) -> dict[str, str | int | None]:
    """Who is signed in, and the CSRF token their unsafe requests must send (readable only same-origin)."""
    return {"name": who.name, "role": who.role, "case_id": who.case_id, "csrf_token": who.csrf_token}


@router.post("/logout")
def logout(request: Request, who: WebUser) -> Response:
    """Ends the session everywhere (the row is deleted, not just the cookie); CSRF-checked like every post."""
    with request.app.state.store.session() as session:
        end_session(session, request.cookies.get(SESSION_COOKIE, ""))
        record_access(session, who.actor, "logout", "session", client=client_address(request))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response
