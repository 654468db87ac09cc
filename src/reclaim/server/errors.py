"""The one place where errors become HTTP responses: ``{"error": code, "message": one line}``.

Reclaim's errors carry their own status (see errors.py); the server's own refusals (413, 415, 429, 409)
are HTTPExceptions, answered in the same shape. Request validation keeps FastAPI's 422 detail list.
"""

from __future__ import annotations

from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException

from reclaim.errors import ReclaimError
from reclaim.server.auth import LoginRequired
from reclaim.server.refusals import audit_refusal
from reclaim.server.templating import render


def install_error_handler(app: FastAPI) -> None:

    @app.exception_handler(LoginRequired)
    async def _login_required(_request: Request, exc: LoginRequired) -> RedirectResponse:
        return RedirectResponse(exc.location, status_code=303)

    @app.exception_handler(ReclaimError)
    async def _reclaim_error(_request: Request, exc: ReclaimError) -> JSONResponse:
        return JSONResponse({"error": exc.code, "message": exc.message}, status_code=exc.http_status)

    @app.exception_handler(HTTPException)
    async def _http_error(request: Request, exc: HTTPException) -> Response:
        audit_refusal(request, exc.status_code, str(exc.detail))
        if _wants_page(request):
            return render(request, "error.html", {"status": exc.status_code, "message": str(exc.detail)},
                          status_code=exc.status_code)
        code = HTTPStatus(exc.status_code).phrase.lower().replace(" ", "_")
        return JSONResponse({"error": code, "message": str(exc.detail)}, status_code=exc.status_code,
                            headers=exc.headers)


def _wants_page(request: Request) -> bool:
    """A browser navigating to a page (not the API, not htmx) gets the refusal as a page, not JSON."""
    api = request.url.path.startswith(("/api/", "/m/", "/h/", "/c/", "/status", "/session"))
    return not api and "text/html" in request.headers.get("accept", "") and "hx-request" not in request.headers
