"""``/h/hash``: the hashes of an uploaded file, as HMA answers them (``{signal_type: value}``), each signal once:
``vpdq`` is the whole feature list in python-threatexchange's JSON form, as HMA's own ``/h/hash`` answers it.
The file comes as ``photo`` or ``video`` (one of them).

The upload is hashed in memory and discarded; nothing about it is stored, unless a signed-in officer asks
to keep it in a case's encrypted vault (``keep_in_case``), which needs the server's vault passphrase
(``RECLAIM_VAULT_PASSPHRASE``, as for ``reclaim evidence acquire``) and is written to the custody log.
"""

from __future__ import annotations

import os
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from starlette.concurrency import run_in_threadpool

from reclaim.cases import get_case
from reclaim.evidence.casefiles import CaseFiles
from reclaim.evidence.originals import vault_upload
from reclaim.server.auth import LookupGuard, audit, lookup_guard
from reclaim.server.deps import SessionDep
from reclaim.server.uploads import Photo, Video, hash_upload, one_upload, read_limited, signal_answer

router = APIRouter(prefix="/h", tags=["hashing"], dependencies=[Depends(lookup_guard)])
VAULT_PASSPHRASE_ENV = "RECLAIM_VAULT_PASSPHRASE"


@router.post("/hash")
async def hash_media(request: Request, session: SessionDep, who: LookupGuard,
                     photo: Photo = None, video: Video = None,
                     keep_in_case: Annotated[str | None, Form(max_length=200)] = None) -> dict[str, str | int]:
    """``{signal_type: value}`` (``vpdq``: every frame, as a JSON list) and ``pdq_quality`` (0-100) as
    ``reclaim hash --json`` gives it; with ``keep_in_case`` also ``kept_in_vault`` (the sha256 now in that vault)."""
    upload = one_upload(photo, video)
    name = upload.filename or "upload"
    data = await read_limited(upload)
    values = await hash_upload(request, data, name)
    answer: dict[str, str | int] = {**signal_answer(values)}
    quality = next((v.quality for v in values if v.signal == "pdq" and v.quality is not None), None)
    if quality is not None:
        answer["pdq_quality"] = quality
    if keep_in_case:
        if not who.is_staff:
            raise HTTPException(403, "only a signed-in officer may keep an upload in a case vault")
        passphrase = os.environ.get(VAULT_PASSPHRASE_ENV)
        if not passphrase:
            raise HTTPException(409, f"this server has no case vault passphrase (${VAULT_PASSPHRASE_ENV})")
        case = get_case(session, keep_in_case)
        answer["kept_in_vault"] = await run_in_threadpool(  # Argon2id and AES: off the event loop
            vault_upload, CaseFiles.for_case(case.name), data, passphrase, who.actor, name)
        audit(request, who, "upload.vaulted", f"case:{case.name} sha256:{answer['kept_in_vault']}",
              session=session)
    return answer
