"""The one place where Reclaim's errors become HTTP responses: each error class carries its status."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from reclaim.errors import ReclaimError


def install_error_handler(app: FastAPI) -> None:
    """Answer every expected failure as ``{"error": code, "message": one line}`` with the class's status."""

    @app.exception_handler(ReclaimError)
    async def _reclaim_error(_request: Request, exc: ReclaimError) -> JSONResponse:
        return JSONResponse({"error": exc.code, "message": exc.message}, status_code=exc.http_status)
