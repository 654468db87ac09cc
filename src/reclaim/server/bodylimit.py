"""Request bodies bounded before anything parses or spools them: an ASGI middleware in front of the app.

FastAPI reads a route's form body before it resolves the route's dependencies, so an upload route's
authentication ran only after Starlette had spooled the whole body to temporary disk (an anonymous 1 GiB
POST was stored before its 401). This middleware answers first: a multipart request without valid
credentials gets its 401 before one byte of body is read, a declared ``Content-Length`` over the limit its
413 at once, and a body streamed without one is counted as it arrives and cut off at the limit.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from http import HTTPStatus

from fastapi import HTTPException
from fastapi.responses import JSONResponse
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reclaim.server.refusals import audit_refusal

log = logging.getLogger(__name__)

FORM_OVERHEAD = 1024 * 1024  # a multipart body's boundaries, headers and small fields, beyond the file itself
OTHER_BODY_BYTES = 4 * 1024 * 1024  # JSON and urlencoded bodies: hash lists and forms, never media

# Called with a request that has no body to read: None when the caller may send a multipart body, else the
# refusal (401) to answer with.
Gate = Callable[[Request], Awaitable[HTTPException | None]]


class BodyLimit:
    """Bound every request body (``form_bytes`` for multipart uploads, ``other_bytes`` for the rest) and
    authenticate multipart requests through ``gate`` before their body is read."""

    def __init__(self, app: ASGIApp, *, form_bytes: int, gate: Gate, other_bytes: int = OTHER_BODY_BYTES) -> None:
        self.app, self.form_bytes, self.other_bytes, self.gate = app, form_bytes, other_bytes, gate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        multipart = headers.get("content-type", "").lower().startswith("multipart/")
        limit = self.form_bytes if multipart else self.other_bytes
        refusal = _declared_too_large(headers.get("content-length"), limit)
        if refusal is None and multipart:
            refusal = await self.gate(Request(scope))
        if refusal is not None:
            await _answer(scope, receive, send, refusal)
            return
        counted, started = 0, False

        async def counting_receive() -> Message:
            nonlocal counted
            message = await receive()
            if message["type"] == "http.request":
                counted += len(message.get("body", b""))
                if counted > limit:
                    raise _too_large(limit)
            return message

        async def watching_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, watching_send)
        except HTTPException as exc:  # raised by counting_receive outside a route (else the app answered it)
            if started or exc.status_code != 413:
                raise
            await _answer(scope, receive, send, exc)


def _too_large(limit: int) -> HTTPException:
    return HTTPException(413, f"the request body is over this server's limit of {limit:,} bytes")


def _declared_too_large(length: str | None, limit: int) -> HTTPException | None:
    if length is None:
        return None
    if not length.isdigit():
        return HTTPException(400, "Content-Length must be a number of bytes")
    return _too_large(limit) if int(length) > limit else None


async def _answer(scope: Scope, receive: Receive, send: Send, refusal: HTTPException) -> None:
    """The refusal in the app's error shape, without reading the body (uvicorn then closes the connection)."""
    code = HTTPStatus(refusal.status_code).phrase.lower().replace(" ", "_")
    log.info("refused %s %s before its body: %s", scope["method"], scope["path"], refusal.detail)
    audit_refusal(Request(scope), refusal.status_code, str(refusal.detail))
    response = JSONResponse({"error": code, "message": str(refusal.detail)}, status_code=refusal.status_code,
                            headers=refusal.headers)
    await response(scope, receive, send)
