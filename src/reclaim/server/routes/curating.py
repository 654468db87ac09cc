"""``/c``: banks and their content, in HMA's curating shapes (a safe subset).

Deleting a bank is allowed only when it is empty: content is withdrawn (kept on record, never matched
again), not erased. Content is added as hashes (``/signal``) or as media hashed in memory (``/content``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Form, HTTPException, Request, Response

from reclaim.banks import add_content, create_bank, get_bank, list_banks, withdraw_content
from reclaim.models import BankKind, SignalValue
from reclaim.server.auth import BankWriteAccess, authorize_bank_settings, bank_write_access, lookup_access
from reclaim.server.deps import SessionDep
from reclaim.server.schemas import BankIn, BankOut, BankUpdate, ContentOut
from reclaim.server.uploads import Photo, Video, hash_upload, one_upload, read_limited, signal_answer
from reclaim.signals import get_signal
from reclaim.store.models import BankContent

router = APIRouter(prefix="/c", tags=["curating"])
_READ = [Depends(lookup_access)]  # platforms with a lookup key, and staff
_WRITE = [Depends(bank_write_access)]  # staff, and keys with bank:write or bank:write:<the bank>


def _bank_out(session: SessionDep, name: str) -> BankOut:
    summary = next((b for b in list_banks(session) if b.name == name), None)
    if summary is None:
        get_bank(session, name)  # raises NotFound with the known names
    assert summary is not None
    return BankOut(name=summary.name, matching_enabled_ratio=1.0, kind=summary.kind,
                   pdq_threshold=summary.pdq_threshold, active=summary.active, withdrawn=summary.withdrawn)


@router.get("/banks", dependencies=_READ)
def banks(session: SessionDep) -> list[BankOut]:
    return [_bank_out(session, b.name) for b in list_banks(session)]


@router.post("/banks", status_code=201, dependencies=_WRITE)
def new_bank(session: SessionDep, body: BankIn, who: BankWriteAccess) -> BankOut:
    authorize_bank_settings(who, None, pdq_threshold=body.pdq_threshold)
    create_bank(session, body.name, body.kind, body.pdq_threshold)
    return _bank_out(session, body.name)


@router.get("/bank/{name}", dependencies=_READ)
def bank(session: SessionDep, name: str) -> BankOut:
    return _bank_out(session, name)


@router.put("/bank/{name}", dependencies=_WRITE)
def update_bank(session: SessionDep, name: str, body: BankUpdate, who: BankWriteAccess) -> BankOut:
    authorize_bank_settings(who, name, kind=body.kind, pdq_threshold=body.pdq_threshold)
    found = get_bank(session, name)
    if body.pdq_threshold is not None:
        found.pdq_threshold = body.pdq_threshold
    if body.kind is not None:
        found.kind = BankKind(body.kind).value
    session.flush()
    return _bank_out(session, name)


@router.delete("/bank/{name}", status_code=204, dependencies=_WRITE)
def delete_bank(session: SessionDep, name: str, who: BankWriteAccess) -> Response:
    authorize_bank_settings(who, name, delete=True)
    found = get_bank(session, name)
    if found.contents:
        raise HTTPException(409, f"bank {name} holds content: withdraw it instead of deleting the bank")
    session.delete(found)
    return Response(status_code=204)


def _content_out(content: BankContent) -> ContentOut:
    """The banked content as ``/api/v1`` answers it: each signal once, a video's ``vpdq`` every frame."""
    return ContentOut(id=content.content_id, signals=signal_answer(
        SignalValue(s.signal, s.version, s.value, s.quality) for s in content.signals))


@router.post("/bank/{name}/content", status_code=201, dependencies=_WRITE)
async def add_media(request: Request, session: SessionDep, name: str, photo: Photo = None, video: Video = None,
                    content_id: Annotated[str | None, Form(max_length=200)] = None) -> ContentOut:
    """Hash the upload (``photo`` or ``video``) in memory and bank its hashes (the media is not kept); id
    defaults to its sha256. The answer's ``vpdq`` is every frame, as a JSON list."""
    upload = one_upload(photo, video)
    values = await hash_upload(request, await read_limited(upload), upload.filename or "upload")
    cid = content_id or next(v.value for v in values if v.signal == "sha256")
    return _content_out(add_content(session, get_bank(session, name), cid, values))


@router.post("/bank/{name}/signal", status_code=201, dependencies=_WRITE)
def add_signal(session: SessionDep, name: str,
               signals: Annotated[dict[str, str], Body(examples=[{"pdq": "f" * 64}])],
               content_id: str | None = None) -> ContentOut:
    """Bank hashes given as ``{signal_type: value}``; each is checked by its signal's parser (400 if bad)."""
    if not signals:
        raise HTTPException(422, "give at least one {signal_type: value}")
    values = []
    for signal_type, text in signals.items():
        kind = get_signal(signal_type)
        values.append(SignalValue(kind.name, kind.version, kind.parse(text)))
    cid = content_id or f"{values[0].signal}:{values[0].value}"
    return _content_out(add_content(session, get_bank(session, name), cid, values))


@router.delete("/bank/{name}/content/{content_id}", status_code=204, dependencies=_WRITE)
def withdraw(session: SessionDep, name: str, content_id: str) -> Response:
    """Withdraw: the content stays on record and stops matching on every worker within a second."""
    withdraw_content(session, name, content_id)
    return Response(status_code=204)
