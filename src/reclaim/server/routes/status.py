"""``/status`` and ``/status/live``: HMA's probes, answered in plain text without touching the database.

``/status`` is HMA's readiness check: ``INDEX-NOT-LOADED`` (503) until the worker's bank index is built (asking
starts the build), ``INDEX-STALE`` (503) when the worker has not seen the database for 65 s, else
``I-AM-ALIVE``. ``/status/live`` answers ``I-AM-ALIVE`` whatever the index does, for liveness probes that
restart a worker on any other answer. ``bench/server.py`` uses ``/status`` as the ceiling of an empty endpoint.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse

router = APIRouter(tags=["status"])


@router.get("/status", response_class=PlainTextResponse)
async def status(request: Request) -> PlainTextResponse:
    matcher = request.app.state.matcher
    if not matcher.is_ready:
        matcher.start_loading()
        return PlainTextResponse("INDEX-NOT-LOADED", status_code=503)
    if matcher.is_stale:
        return PlainTextResponse("INDEX-STALE", status_code=503)
    return PlainTextResponse("I-AM-ALIVE")


@router.get("/status/live", response_class=PlainTextResponse)
async def live() -> str:
    return "I-AM-ALIVE"
