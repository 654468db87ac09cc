"""``/status``: HMA's liveness probe, answered in plain text without touching the database or the index.

Load balancers poll it; ``bench/server.py`` uses it as the ceiling of an empty endpoint on the same server.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse

router = APIRouter(tags=["status"])


@router.get("/status", response_class=PlainTextResponse)
async def status() -> str:
    """``I-AM-ALIVE`` (200) while the worker is up, as HMA answers."""
    return "I-AM-ALIVE"
