"""``/h/hash``: the hashes of an uploaded file, as HMA answers them (``{signal_type: value}``).

The upload is hashed in memory and discarded; nothing about it is stored.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, UploadFile

from reclaim.server.auth import lookup_access
from reclaim.server.ratelimit import limit_lookups
from reclaim.server.uploads import hash_upload, read_limited

router = APIRouter(prefix="/h", tags=["hashing"], dependencies=[Depends(limit_lookups), Depends(lookup_access)])


@router.post("/hash")
async def hash_media(photo: Annotated[UploadFile, File()]) -> dict[str, str]:
    values = hash_upload(await read_limited(photo), photo.filename or "upload")
    return {v.signal: v.value for v in values}
