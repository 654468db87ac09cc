"""``/status``: HMA's liveness probe, answered in plain text without touching the database or the index.

Load balancers poll it; ``bench/server.py`` uses it as the ceiling of an empty endpoint on the same server.
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import PlainTextResponse

from reclaim.server.auth import MaybePrincipal

router = APIRouter(tags=["status"])


@router.get("/status", response_class=PlainTextResponse)
async def status() -> str:
    """``I-AM-ALIVE`` (200) while the worker is up, as HMA answers."""
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
