"""``/status`` and ``/status/live``: HMA's probes, answered in plain text without touching the database.

``/status`` is HMA's readiness check: ``INDEX-NOT-LOADED`` (503) until the worker's bank index is built (asking
starts the build), ``INDEX-STALE`` (503) when the worker has not seen the database for 65 s, else
``I-AM-ALIVE``. ``/status/live`` answers ``I-AM-ALIVE`` whatever the index does, for liveness probes that
restart a worker on any other answer. ``bench/server.py`` measures lookups against both as empty endpoints:
``/status/live`` through FastAPI's routing (its target's ceiling), ``/status`` on the lookups' own routing.
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import PlainTextResponse
from starlette.routing import Route

from reclaim.server.auth import MaybePrincipal

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


FAST_ROUTES = (Route("/status", status, include_in_schema=False),)  # as hma_matching.FAST_ROUTES: the same
# routing as the lookups, so bench/server.py compares them like with like


@router.get("/status/live", response_class=PlainTextResponse)
async def live() -> str:
    return "I-AM-ALIVE"


@router.get("/status/details")
async def status_details(request: Request, who: MaybePrincipal) -> dict[str, object]:
    """For staff: the bank index's last successful refresh, and the error while refreshes fail (a worker
    whose polls fail keeps serving its last index, withdrawn hashes included)."""
    if who is None:
        raise HTTPException(401, "sign in or give an API key")
    if not who.is_staff:
        raise HTTPException(403, "only case officers and admins may see the worker's details")
    return {"status": "I-AM-ALIVE", "bank_index": request.app.state.matcher.health()}
