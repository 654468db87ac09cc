"""``/h/hash``: HMA 2.0's hashing blueprint: ``{signal_type: signal}`` of one upload, or of a url's media.

A photo answers ``pdq`` (bit for bit python-threatexchange's ``PdqSignal.hash_from_file``), a video
``video_md5`` and ``vpdq`` with every frame's feature; ``types=`` picks some of them, as in HMA. Uploads are
hashed in memory and dropped; urls are fetched only from the hosts in ``$RECLAIM_HMA_URL_HOSTS``.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from reclaim.server.auth import lookup_guard
from reclaim.server.hma import HmaError, fetch_url, form_upload, hma_signals, json_response

router = APIRouter(prefix="/h", tags=["HMA hashing"], dependencies=[Depends(lookup_guard)])


@router.post("/hash")
async def hash_upload(request: Request) -> Response:
    hashed = await form_upload(request)
    return json_response(hma_signals(hashed.values, hashed.signals))


@router.get("/hash")
async def hash_url(request: Request) -> Response:
    url = request.query_params.get("url")
    if not url or len(url) > 2000:
        raise HmaError(422, "url is required (at most 2000 characters)")
    hashed = await fetch_url(request, url, request.query_params.get("content_type"))
    return json_response(hma_signals(hashed.values, hashed.signals))
