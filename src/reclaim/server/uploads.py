"""Uploaded media: read into memory under a size limit, hashed, and dropped; never written anywhere."""

from __future__ import annotations

from fastapi import HTTPException, Request, UploadFile

from reclaim.models import SignalValue
from reclaim.server.decodejob import MAX_UPLOAD_BYTES, hash_job

_CHUNK = 1024 * 1024


_MEDIA_TYPES = ("image/", "video/", "application/octet-stream")


async def read_limited(upload: UploadFile, limit: int = MAX_UPLOAD_BYTES) -> bytes:
    """The upload's bytes: 415 unless declared as media (or plain bytes, sniffed by the decoder), 413 as soon
    as it passes ``limit`` (the rest is never read)."""
    declared = (upload.content_type or "application/octet-stream").lower()
    if not declared.startswith(_MEDIA_TYPES):
        raise HTTPException(415, f"upload {upload.filename!r} is {declared}, not an image or video")
    parts, size = [], 0
    while chunk := await upload.read(_CHUNK):
        size += len(chunk)
        if size > limit:
            raise HTTPException(413, f"upload {upload.filename!r} is over the limit of {limit:,} bytes")
        parts.append(chunk)
    return b"".join(parts)


async def hash_upload(request: Request, data: bytes, name: str, *, exact: bool = False) -> list[SignalValue]:
    """Every default signal of the uploaded bytes (``decodejob.hash_job``), computed in the app's decode pool (503
    when it is full); a file that cannot be decoded raises its ItemError (422)."""
    values: list[SignalValue] = await request.app.state.decode_pool.run(hash_job, data, name, exact)
    return values

