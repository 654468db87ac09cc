"""Uploaded media: read into memory under a size limit, hashed, and dropped; never written anywhere."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated

from fastapi import File, HTTPException, Request, UploadFile

from reclaim.models import SignalValue
from reclaim.server.decodejob import MAX_UPLOAD_BYTES, hash_job
from reclaim.signals.vpdq import VPDQSignal, features_of, to_pytx

_CHUNK = 1024 * 1024


_MEDIA_TYPES = ("image/", "video/", "application/octet-stream")
_UPLOAD_DOC = "the media file: an image or a video; give `photo` or `video`, exactly one"
Photo = Annotated[UploadFile | None, File(description=_UPLOAD_DOC)]
Video = Annotated[UploadFile | None, File(description=_UPLOAD_DOC)]


def one_upload(photo: UploadFile | None, video: UploadFile | None) -> UploadFile:
    """The one file of a ``photo``/``video`` upload form; 400 when there is none or both."""
    if photo is not None and video is not None:
        raise HTTPException(400, "upload one file, as 'photo' or as 'video', not both")
    upload = photo if photo is not None else video
    if upload is None:
        raise HTTPException(400, "upload the media file as 'photo' or as 'video'")
    return upload


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


def signal_answer(values: Iterable[SignalValue]) -> dict[str, str]:
    """``{signal: value}`` of computed or stored values, each signal once; a video's ``vpdq`` is every frame
    (pytx's JSON list of ``hex,quality,timestamp``), not one value per frame overwriting the last."""
    values = list(values)
    answer = {v.signal: v.value for v in values if v.signal != VPDQSignal.name}
    if frames := features_of(values):
        answer[VPDQSignal.name] = to_pytx(frames)
    return answer
