"""The victim's own page, in plain Korean or English: what was found, where removals stand, and their photos.

A victim sees only their case, and only blurred pictures. They can enrol their own photos (so scans look for
their face) and withdraw them again; a withdrawal erases the photos and descriptors at once.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from reclaim.cases import case_items
from reclaim.cases.victims import add_victim
from reclaim.errors import ReclaimError
from reclaim.identities.photos import open_photos, passphrase_from_env
from reclaim.identities.service import enroll, remove_identity
from reclaim.server.auth import Principal, WebUser, audit
from reclaim.server.deps import SessionDep
from reclaim.server.templating import render
from reclaim.server.uploads import read_limited
from reclaim.store.models import Case, Identity, Item, TakedownItem, TakedownRequest, User
from reclaim.takedown.tracking import request_rows

router = APIRouter(include_in_schema=False)

TEXT = {
    "en": {
        "title": "Your case", "found": "What we found", "matched": "pictures matched your known images or face",
        "confirmed": "confirmed by a case officer", "removals": "Removal requests", "requests": "requests sent",
        "reported": "pictures reported", "removed": "already removed", "overdue": "past their deadline — your "
        "officer is following up", "none_yet": "No removal request yet.", "pictures": "Pictures (blurred)",
        "photos": "Your photos", "enrolled": "Your face is enrolled: scans look for it.",
        "not_enrolled": "Not enrolled. Add a photo of yourself so scans can find fakes made from your face.",
        "consent": "I agree that Reclaim keeps this photo, encrypted, to look for my face in this case.",
        "add": "Add photo", "withdraw": "Withdraw my photos", "withdrawn": "Your photos were erased.",
        "added": "Your photo was added.", "next": "What happens next", "next_text": "Your case officer reviews "
        "every match, sends removal requests to each platform and checks until the pictures are gone. You do not "
        "need to look at any of them.", "need_consent": "Please tick the consent box to add a photo.",
        "switch": "한국어", "already": "Your face is already enrolled: withdraw your photos first to add others.",
    },
    "ko": {
        "title": "내 사건", "found": "찾은 것", "matched": "장의 사진이 알려진 이미지나 얼굴과 일치했습니다",
        "confirmed": "장은 담당자가 확인했습니다", "removals": "삭제 요청", "requests": "건의 요청을 보냈습니다",
        "reported": "장을 신고했습니다", "removed": "장은 이미 삭제되었습니다", "overdue": "건은 기한이 지났습니다 — "
        "담당자가 계속 확인하고 있습니다", "none_yet": "아직 삭제 요청이 없습니다.", "pictures": "사진 (흐리게 처리됨)",
        "photos": "내 사진", "enrolled": "얼굴이 등록되어 있습니다: 검색에서 내 얼굴을 찾습니다.",
        "not_enrolled": "등록되지 않았습니다. 내 얼굴로 만든 합성물을 찾을 수 있도록 내 사진을 추가하세요.",
        "consent": "이 사건에서 내 얼굴을 찾기 위해 Reclaim이 이 사진을 암호화하여 보관하는 것에 동의합니다.",
        "add": "사진 추가", "withdraw": "내 사진 삭제", "withdrawn": "사진이 삭제되었습니다.",
        "added": "사진이 추가되었습니다.", "next": "앞으로의 절차", "next_text": "담당자가 모든 일치 항목을 검토하고, "
        "각 플랫폼에 삭제 요청을 보내며, 사진이 사라질 때까지 확인합니다. 사진을 직접 보실 필요는 없습니다.",
        "need_consent": "사진을 추가하려면 동의란에 표시해 주세요.", "switch": "English",
        "already": "이미 얼굴이 등록되어 있습니다: 다른 사진을 추가하려면 먼저 내 사진을 삭제하세요.",
    },
}


def language(request: Request, lang: str | None) -> str:
    if lang in TEXT:
        return lang
    return "ko" if request.headers.get("accept-language", "").lower().startswith("ko") else "en"


def _own_identity(session: SessionDep, who: Principal) -> Identity | None:
    """The victim's own enrolment, through their account's link by id; never an identity that shares their
    name (which another person's enrolment may)."""
    user = session.scalar(select(User).where(User.name == who.name))
    return session.get(Identity, user.identity_id) if user is not None and user.identity_id is not None else None


def _free_identity_name(session: SessionDep, who: Principal, user_id: int) -> str:
    """The name to enrol the victim under: theirs, or, when another identity already has it, theirs with the
    account's number (the other identity stays untouched and unnamed to them)."""
    taken = session.scalar(select(Identity.id).where(Identity.name == who.name)) is not None
    return f"{who.name} (account {user_id})" if taken else who.name


def _own_case(session: SessionDep, who: Principal) -> Case:
    if who.role != "victim" or who.case_id is None:
        raise HTTPException(403, "this page is for a victim's own case; staff use the case pages")
    case = session.get(Case, who.case_id)
    if case is None:
        raise HTTPException(404, "your case no longer exists")
    return case


@router.get("/my-case", response_class=HTMLResponse)
def my_case(request: Request, who: WebUser, session: SessionDep, lang: str | None = None,
            done: str | None = None, error: str | None = None) -> HTMLResponse:
    case = _own_case(session, who)
    lang = language(request, lang)
    items = case_items(session, case.name, matched_only=True)
    ids = {r.locator: r.id for r in session.execute(select(Item.locator, Item.id).where(Item.case_id == case.id))}
    requests = [r for r in request_rows(session, case.name) if r.state != "drafted"]  # sent, not just written
    reported, removed = _items_reported(session, case.id)
    enrolled = _own_identity(session, who) is not None
    return render(request, "victim.html", {
        "t": TEXT[lang], "lang": lang, "other": "en" if lang == "ko" else "ko", "case": case,
        "matched": len(items), "confirmed": sum(v.decision == "confirmed" for v in items),
        "item_ids": [ids[v.locator] for v in items], "requests": len(requests),
        "reported": reported, "removed": removed,
        "overdue": sum(r.overdue for r in requests), "enrolled": enrolled, "done": TEXT[lang].get(done or ""),
        "error": error})


def _items_reported(session: SessionDep, case_id: int) -> tuple[int, int]:
    """(pictures reported at least once, pictures since removed): each picture counted once, however many
    requests and follow-ups named it."""
    sent = (select(TakedownItem.item_id, TakedownItem.removed_at).join(TakedownRequest)
            .where(TakedownRequest.case_id == case_id, TakedownRequest.state != "drafted"))
    rows = session.execute(sent).all()
    return len({r.item_id for r in rows}), len({r.item_id for r in rows if r.removed_at is not None})


@router.post("/my-case/photos")
async def add_photo(request: Request, who: WebUser, session: SessionDep, photo: Annotated[UploadFile, File()],
                    consent: Annotated[bool, Form()] = False, lang: Annotated[str, Form(max_length=5)] = "en",
                    ) -> Response:
    """Enrol the victim's own photo under their own recorded consent, and link them to their case."""
    case = _own_case(session, who)
    if not consent:
        return _back(lang, error=TEXT[language(request, lang)]["need_consent"])
    data = await read_limited(photo)
    if _own_identity(session, who) is not None:
        return _back(lang, error=TEXT[language(request, lang)]["already"])
    user = session.scalar(select(User).where(User.name == who.name))
    assert user is not None  # a signed-in victim's session names a live account
    name = _free_identity_name(session, who, user.id)

    def enrol() -> None:  # face detection: seconds of CPU, off the event loop
        vault = open_photos(passphrase_from_env())
        with tempfile.TemporaryDirectory(prefix="reclaim-enrol-") as folder:
            path = Path(folder) / ("photo" + Path(photo.filename or "").suffix[:8])  # never the sent name
            path.write_bytes(data)
            enroll(session, name, f"self-enrolled by {who.name} on the victim page to find fakes in case "
                   f"{case.name}", [path], actor=who.actor, vault=vault)
        add_victim(session, case.name, name, actor=who.actor)
        user.identity_id = session.scalar(select(Identity.id).where(Identity.name == name))

    try:
        await run_in_threadpool(enrol)
    except ReclaimError as exc:
        session.rollback()
        return _back(lang, error=exc.message)
    audit(request, who, "identity.enrolled", f"identity:{name} case:{case.name}", session=session)
    return _back(lang, done="added")


@router.post("/my-case/withdraw")
def withdraw(request: Request, who: WebUser, session: SessionDep,
             lang: Annotated[str, Form(max_length=5)] = "en") -> Response:
    """Erase the victim's enrolled photos and descriptors now (honoured at once, as DESIGN.md requires)."""
    _own_case(session, who)
    own = _own_identity(session, who)
    if own is not None:
        name = own.name
        remove_identity(session, name, actor=who.actor)
        audit(request, who, "identity.withdrawn", f"identity:{name}", session=session)
    return _back(lang, done="withdrawn")


def _back(lang: str, *, done: str = "", error: str = "") -> RedirectResponse:
    query = f"lang={lang if lang in TEXT else 'en'}" + (f"&done={done}" if done else "")
    if error:
        query += f"&error={quote(error)}"
    return RedirectResponse(f"/my-case?{query}", status_code=303)
