"""Uploaded media: read into memory under a size limit, hashed, and dropped; never written anywhere."""

from __future__ import annotations

from pathlib import Path

from fastapi import HTTPException, Request, UploadFile

from reclaim.hashing import FileHashes, hash_bytes
from reclaim.media.limits import Limits
from reclaim.models import SignalValue

MAX_UPLOAD_BYTES = 32 * 1024 * 1024
# Uploads come from strangers and are decoded while other requests wait for memory: a tighter pixel bound
# than a local scan's (Pillow's 179 Mpx). 40 Mpx admits any phone or camera photo at its usual size and
# keeps a decoded RGB image near 120 MB.
SERVER_LIMITS = Limits(max_file_bytes=MAX_UPLOAD_BYTES, max_pixels=40_000_000, max_frame_pixels=3840 * 2160,
                       max_decode_seconds=10.0, max_video_decode_seconds=60.0)
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
    """Every default signal of the uploaded bytes, computed in the app's decode pool (503 when it is full); a
    file that cannot be decoded raises its ItemError (422).

    ``exact``: decode at full resolution, so PDQ is python-threatexchange's bit for bit (HMA's routes)."""
    values: list[SignalValue] = await request.app.state.decode_pool.run(_hash, data, name, exact)
    return values


def _hash(data: bytes, name: str, exact: bool = False) -> list[SignalValue]:
    outcome = hash_bytes(data, Path(name or "upload"), SERVER_LIMITS, fast=not exact, pytx_pdq=exact)
    if not isinstance(outcome, FileHashes):
        raise outcome.error
    return list(outcome.values)
