"""``/h/hash``: the hashes of an uploaded file, as HMA answers them (``{signal_type: value}``).

The upload is hashed in memory and discarded; nothing about it is stored, unless a signed-in officer asks
to keep it in a case's encrypted vault (``keep_in_case``), which needs the server's vault passphrase
(``RECLAIM_VAULT_PASSPHRASE``, as for ``reclaim evidence acquire``) and is written to the custody log.
"""

from __future__ import annotations

import os
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, UploadFile
from starlette.concurrency import run_in_threadpool

from reclaim.cases import get_case
from reclaim.evidence.casefiles import CaseFiles
from reclaim.evidence.originals import vault_upload
from reclaim.server.auth import LookupGuard, audit, lookup_guard
from reclaim.server.deps import SessionDep
from reclaim.server.uploads import hash_upload, read_limited

router = APIRouter(prefix="/h", tags=["hashing"], dependencies=[Depends(lookup_guard)])
VAULT_PASSPHRASE_ENV = "RECLAIM_VAULT_PASSPHRASE"


@router.post("/hash")
async def hash_media(request: Request, session: SessionDep, who: LookupGuard,
                     photo: Annotated[UploadFile, File()],
                     keep_in_case: Annotated[str | None, Form(max_length=200)] = None) -> dict[str, str]:
    """``{signal_type: value}``; with ``keep_in_case`` also ``kept_in_vault`` (the sha256 now in that vault)."""
    data = await read_limited(photo)
    values = await hash_upload(request, data, photo.filename or "upload")
    answer = {v.signal: v.value for v in values}
    if keep_in_case:
        if not who.is_staff:
            raise HTTPException(403, "only a signed-in officer may keep an upload in a case vault")
        passphrase = os.environ.get(VAULT_PASSPHRASE_ENV)
        if not passphrase:
            raise HTTPException(409, f"this server has no case vault passphrase (${VAULT_PASSPHRASE_ENV})")
        case = get_case(session, keep_in_case)
        answer["kept_in_vault"] = await run_in_threadpool(  # Argon2id and AES: off the event loop
            vault_upload, CaseFiles.for_case(case.name), data, passphrase, who.actor, photo.filename or "upload")
        audit(request, who, "upload.vaulted", f"case:{case.name} sha256:{answer['kept_in_vault']}",
              session=session)
    return answer
