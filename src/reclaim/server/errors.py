"""The one place where errors become HTTP responses: ``{"error": code, "message": one line}``.

Reclaim's errors carry their own status (see errors.py); the server's own refusals (413, 415, 429, 409)
are HTTPExceptions, answered in the same shape. Request validation under ``/api/v1`` answers 422 in it too
(``invalid_request``, naming the field); on HMA's routes as HMA does (422 with the list of errors, 404 for a
path part of the wrong type); elsewhere it keeps FastAPI's 422 detail list.
"""

from __future__ import annotations

from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException

from reclaim.errors import ReclaimError
from reclaim.server.auth import LoginRequired
from reclaim.server.refusals import audit_refusal
from reclaim.server.templating import render

HMA_PATHS = ("/m/", "/h/", "/c/")  # HMA 2.0's blueprints (/status has no parameters to refuse)


def install_error_handler(app: FastAPI) -> None:

    @app.exception_handler(LoginRequired)
    async def _login_required(_request: Request, exc: LoginRequired) -> RedirectResponse:
        return RedirectResponse(exc.location, status_code=303)

    @app.exception_handler(ReclaimError)
    async def _reclaim_error(_request: Request, exc: ReclaimError) -> JSONResponse:
        return JSONResponse({"error": exc.code, "message": exc.message}, status_code=exc.http_status)

    @app.exception_handler(RequestValidationError)
    async def _invalid_request(request: Request, exc: RequestValidationError) -> Response:
        path = request.url.path
        if path.startswith("/api/v1/"):
            return JSONResponse({"error": "invalid_request", "message": _validation_message(exc)}, status_code=422)
        if path.startswith(HMA_PATHS):
            return _hma_invalid(exc)
        return await request_validation_exception_handler(request, exc)

    @app.exception_handler(HTTPException)
    async def _http_error(request: Request, exc: HTTPException) -> Response:
        audit_refusal(request, exc.status_code, str(exc.detail))
        if _wants_page(request):
            return render(request, "error.html", {"status": exc.status_code, "message": str(exc.detail)},
                          status_code=exc.status_code)
        code = HTTPStatus(exc.status_code).phrase.lower().replace(" ", "_")
        return JSONResponse({"error": code, "message": str(exc.detail)}, status_code=exc.status_code,
                            headers=exc.headers)


def _hma_invalid(exc: RequestValidationError) -> JSONResponse:
    """As HMA (flask-openapi3) refuses: a body its model rejects gets 422 with pydantic's list of errors; a path
    part of the wrong type (``/c/bank/X/content/abc``) matches none of its routes, so 404."""
    errors = exc.errors()
    if any(tuple(error.get("loc", ()))[:1] == ("path",) for error in errors):
        return JSONResponse({"message": "not found"}, status_code=404)
    return JSONResponse(jsonable_encoder(errors), status_code=422)


def _validation_message(exc: RequestValidationError) -> str:
    """One line: the first problem's field (``body content_id``) and message, and how many more there are."""
    errors = exc.errors()
    if not errors:
        return "invalid request"
    first = errors[0]
    where = " ".join(str(part) for part in first.get("loc", ())) or "request"
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return " ".join(f"{where}: {first.get('msg', 'invalid')}{more}".split())[:300]


def _wants_page(request: Request) -> bool:
    """A browser navigating to a page (not the API, not htmx) gets the refusal as a page, not JSON."""
    api = request.url.path.startswith(("/api/", *HMA_PATHS, "/status", "/session"))
    return not api and "text/html" in request.headers.get("accept", "") and "hx-request" not in request.headers
