"""The web UI through HTTP as each role uses it: a case scanned by the CLI, reviewed and exported in pages.

Staff see the case list, the review queue (blurred), an item's details; unblurring is audited; reviews need
the CSRF token; evidence downloads as a signed bundle; a takedown is drafted into the tracker; banks are
managed; a victim sees only their own case, in Korean or English, and gets 403 everywhere else.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from reclaim.synthetic.scenes import jpeg_bytes

pytest.importorskip("fastapi", reason="needs reclaim[server]")
STATIC = Path(__file__).resolve().parents[3] / "src" / "reclaim" / "server" / "static"


@pytest.fixture
def scanned_case(cli, database_url: str, tmp_path: Path, known_jpeg: Path, decoy_png: Path) -> str:
    """Case c1: a re-encoded copy of a known image (matches) and a decoy (does not); a second case c2."""
    found = tmp_path / "found"
    found.mkdir()
    (found / "repost.jpg").write_bytes(jpeg_bytes(Image.open(known_jpeg), 60))
    (found / "decoy.png").write_bytes(decoy_png.read_bytes())
    assert cli("bank", "create", "known").code == 0
    assert cli("bank", "add", "known", known_jpeg).code == 0
    assert cli("scan", found, "--case", "c1", "--workers", "1").code == 0
    assert cli("case", "new", "c2").code == 0
    return "c1"


def _signed_in(make_client: Callable[..., TestClient], accounts: Any, name: str, role: str,
               case: str | None = None) -> tuple[TestClient, str]:
    client = make_client(key=False)
    accounts.new_user(client, name, role, case)
    return client, accounts.sign_in(client, name)


def _item_ids(page: str) -> list[int]:
    return [int(i) for i in re.findall(r'id="item-(\d+)"', page)]


def test_an_officer_reviews_unblurs_exports_and_drafts(make_client: Callable[..., TestClient], accounts: Any,
                                                       scanned_case: str) -> None:
    officer, token = _signed_in(make_client, accounts, "officer-kim", "officer")
    listing = officer.get("/")
    assert listing.status_code == 200 and 'href="/cases/c1"' in listing.text and 'href="/cases/c2"' in listing.text

    queue = officer.get("/cases/c1")
    assert queue.status_code == 200
    (item_id,) = _item_ids(queue.text)  # the repost; the decoy has no signal and stays out of the queue
    assert "repost.jpg" in queue.text and "1 more items with no signal" in queue.text
    thumb = officer.get(f"/items/{item_id}/thumb")
    assert thumb.headers["content-type"] == "image/jpeg" and "no-store" in thumb.headers["cache-control"]
    assert max(Image.open(io.BytesIO(thumb.content)).size) <= 256  # a small, blurred thumbnail

    detail = officer.get(f"/items/{item_id}")
    assert detail.status_code == 200 and "known.jpg" in detail.text and "pdq" in detail.text

    assert officer.get("/audit").text.count("media.unblurred") == 0
    assert officer.get(f"/items/{item_id}/unblurred").status_code == 405  # never by a link
    assert officer.post(f"/items/{item_id}/unblurred").status_code == 403  # nor without the CSRF token
    assert officer.get("/audit").text.count("media.unblurred") == 0
    clear = officer.post(f"/items/{item_id}/unblurred", headers={"X-CSRF-Token": token})
    assert clear.status_code == 200 and clear.text.startswith('<img class="media clear"')
    assert "no-store" in clear.headers["cache-control"]
    audit_page = officer.get("/audit").text
    assert "media.unblurred" in audit_page and f"item:{item_id}" in audit_page and "user:officer-kim" in audit_page

    assert officer.post(f"/items/{item_id}/review", data={"decision": "confirmed"}).status_code == 403  # no token
    confirmed = officer.post(f"/items/{item_id}/review", data={"decision": "confirmed"},
                             headers={"X-CSRF-Token": token})
    assert confirmed.status_code == 200 and 'class="decision confirmed"' in confirmed.text
    assert "confirmed" in officer.get("/cases/c1").text

    bundle = officer.post("/cases/c1/evidence", data={"csrf_token": token})
    assert bundle.status_code == 200 and bundle.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(bundle.content)) as archive:
        assert {"manifest.json", "manifest.sig", "custody.jsonl"} <= set(archive.namelist())
        manifest = archive.read("manifest.json")
        custody = [json.loads(line) for line in archive.read("custody.jsonl").splitlines()]
    assert hashlib.sha256(manifest).hexdigest() == bundle.headers["x-manifest-sha256"]
    # the page's review is in the custody log, as a CLI review is
    (decided,) = [e for e in custody if e["action"] == "review.decided"]
    assert decided["details"]["decision"] == "confirmed" and decided["details"]["reviewer"] == "officer-kim"
    assert "evidence.exported" in officer.get("/audit").text

    repost = re.search(r"<dt>Location</dt><dd>([^<]+)</dd>", detail.text).group(1)  # type: ignore[union-attr]
    drafted = officer.post("/cases/c1/takedowns", data={
        "csrf_token": token, "platform": "generic", "lang": "ko", "requester": "Officer Kim",
        "email": "kim@centre.example", "selection": "confirmed",
        "locations": f"{repost}=https://files.example.net/p/1.jpg\n"}, follow_redirects=False)
    assert drafted.status_code == 303, drafted.text
    tracker = officer.get(drafted.headers["location"].split("#")[0])
    assert re.search(r'id="request-\d+"><td><a href="/cases/c1/takedowns/\d+">#\d+</a></td><td>generic', tracker.text)
    assert "drafted" in tracker.text
    refused = officer.post("/cases/c1/takedowns", data={
        "csrf_token": token, "platform": "generic", "lang": "ko", "requester": "Officer Kim",
        "email": "kim@centre.example"})  # no location: nothing online to report
    assert refused.status_code == 400 and "1 are elsewhere" in refused.text  # shown on the page, not a 500

    request_id = int(re.search(r"#request-(\d+)", drafted.headers["location"]).group(1))  # type: ignore[union-attr]
    page = officer.get(f"/cases/c1/takedowns/{request_id}")
    assert page.status_code == 200 and "https://files.example.net/p/1.jpg" in page.text and "drafted" in page.text
    too_soon = officer.post(f"/cases/c1/takedowns/{request_id}/state", data={"csrf_token": token, "state": "removed"})
    assert too_soon.status_code == 400 and "can go to sent" in too_soon.text  # the state machine, shown on the page
    sent = officer.post(f"/cases/c1/takedowns/{request_id}/state", follow_redirects=False, data={
        "csrf_token": token, "state": "sent", "reference": "T-123", "note": "submitted the form"})
    assert sent.status_code == 303
    page = officer.get(sent.headers["location"]).text
    assert "<strong>sent</strong>" in page and "T-123" in page and "state.sent" in page and "submitted the form" in page
    assert officer.get(f"/cases/c2/takedowns/{request_id}").status_code == 404  # not that case's request


def test_banks_are_managed_in_the_page(make_client: Callable[..., TestClient], accounts: Any,
                                       scanned_case: str) -> None:
    officer, token = _signed_in(make_client, accounts, "officer-lee", "officer")
    assert "known" in officer.get("/banks").text
    made = officer.post("/banks", data={"csrf_token": token, "name": "shared", "kind": "known",
                                        "pdq_threshold": "20"}, follow_redirects=False)
    assert made.status_code == 303 and "shared" in officer.get("/banks").text
    gone = officer.post("/banks/known/withdraw", data={"csrf_token": token, "content_id": "known.jpg"},
                        follow_redirects=False)
    assert gone.status_code == 303
    missing = officer.post("/banks/known/withdraw", data={"csrf_token": token, "content_id": "nope"})
    assert missing.status_code == 400 and "nope" in missing.text


def test_a_victim_sees_only_their_own_case(make_client: Callable[..., TestClient], accounts: Any,
                                           scanned_case: str) -> None:
    staff, _ = _signed_in(make_client, accounts, "officer-park", "officer")
    (item_id,) = _item_ids(staff.get("/cases/c1").text)
    victim, victim_token = _signed_in(make_client, accounts, "minji", "victim", case="c1")
    outsider, _ = _signed_in(make_client, accounts, "jiwoo", "victim", case="c2")

    page = victim.get("/my-case?lang=ko")
    assert page.status_code == 200 and "내 사건" in page.text and 'lang="ko"' in page.text
    assert re.search(r'<div class="big">1</div>장의 사진이', page.text)  # one picture found, in plain Korean
    assert "Your case" in victim.get("/my-case", headers={"Accept-Language": "en-GB"}).text
    assert victim.get(f"/items/{item_id}/thumb").status_code == 200  # blurred pictures of their own case
    for path in ("/", "/cases/c1", "/cases/c2", f"/items/{item_id}", "/banks",
                 "/audit", "/cases/c1/takedowns", "/cases/c1/takedowns/1"):
        assert victim.get(path).status_code == 403, path
    assert victim.post(f"/items/{item_id}/unblurred", headers={"X-CSRF-Token": victim_token}).status_code == 403

    assert outsider.get(f"/items/{item_id}/thumb").status_code == 404  # another victim's case: as if absent
    assert '<div class="big">0</div>' in outsider.get("/my-case").text
    assert staff.get("/my-case").status_code == 403


def test_anonymous_browsers_are_sent_to_sign_in(anonymous_client: TestClient) -> None:
    for path in ("/", "/cases/c1", "/my-case", "/audit", "/banks", "/items/1/thumb"):
        answer = anonymous_client.get(path, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/login?next="), path


def test_vendored_htmx_is_the_pinned_file() -> None:
    table = (STATIC / "VENDORED.md").read_text()
    digest = re.search(r"`htmx.min.js`.*\| ([0-9a-f]{64}) \|", table).group(1)  # type: ignore[union-attr]
    assert hashlib.sha256((STATIC / "htmx.min.js").read_bytes()).hexdigest() == digest


def test_a_victim_enrols_and_withdraws_their_own_photo(make_client: Callable[..., TestClient], accounts: Any,
                                                       scanned_case: str, face_photos: dict[str, Path]) -> None:
    victim, token = _signed_in(make_client, accounts, "minji", "victim", case="c1")
    photo = {"photo": ("me.jpg", face_photos["astronaut"].read_bytes(), "image/jpeg")}
    unticked = victim.post("/my-case/photos", files=photo, data={"csrf_token": token, "lang": "en"})
    assert "tick the consent box" in unticked.text and "Not enrolled" in unticked.text

    added = victim.post("/my-case/photos", files=photo, data={"csrf_token": token, "lang": "en", "consent": "true"})
    assert "Your photo was added" in added.text and "Your face is enrolled" in added.text
    with victim.app.state.store.session() as session:
        from reclaim.cases.victims import case_victims
        from reclaim.identities.service import list_identities

        assert [i.name for i in list_identities(session)] == ["minji"]
        assert [v["name"] for v in case_victims(session, "c1")] == ["minji"]

    gone = victim.post("/my-case/withdraw", data={"csrf_token": token, "lang": "ko"})
    assert "사진이 삭제되었습니다" in gone.text and "등록되지 않았습니다" in gone.text
    with victim.app.state.store.session() as session:
        assert list_identities(session) == []
        from reclaim.accounts import access_log

        assert [e.action for e in access_log(session, actor="user:minji")][:2] == [
            "identity.withdrawn", "identity.enrolled"]


def test_an_item_from_a_chat_shows_where_and_who(make_client: Callable[..., TestClient], accounts: Any, cli,
                                                 scanned_case: str, known_jpeg: Path, tmp_path: Path) -> None:
    from reclaim.demo.telegram import write_export

    known = Image.open(known_jpeg).convert("RGB")
    root, _ = write_export(tmp_path / "chat", [known, known])
    assert cli("scan", root, "--case", "chat", "--workers", "1").code == 0
    officer, _ = _signed_in(make_client, accounts, "officer-han", "officer")
    queue = officer.get("/cases/chat").text
    assert '<div class="where">3학년 2반 · by reposter · forwarded from dark_uploader · ' in queue  # who, where, when
    pages = [officer.get(f"/items/{i}").text for i in _item_ids(queue)]
    for i in _item_ids(queue):  # the chat's photos, found through the export's folder
        assert officer.get(f"/items/{i}/thumb").status_code == 200, officer.get(f"/items/{i}/thumb").text
    forwarded = next(p for p in pages if "Forwarded from" in p)
    for shown in ("<dt>Chat</dt><dd>3학년 2반</dd>", "<dt>Posted by</dt><dd>reposter", "<dt>Posted (UTC)</dt>",
                  "<dt>Caption</dt>", "dark_uploader"):
        assert shown in forwarded, shown


def test_the_source_photo_of_a_matched_face_is_found_and_logged(make_client: Callable[..., TestClient],
                                                                accounts: Any, cli, face_photos: dict[str, Path],
                                                                tmp_path: Path) -> None:
    found = tmp_path / "found"
    found.mkdir()
    for key in ("fake_astronaut", "scene"):
        (found / face_photos[key].name).write_bytes(face_photos[key].read_bytes())
    assert cli("identity", "enroll", "astro", face_photos["astronaut"], "--consent", "self-enrolled").code == 0
    assert cli("scan", found, "--case", "faces", "--workers", "1").code == 0
    officer, officer_token = _signed_in(make_client, accounts, "officer-yoon", "officer")
    (item_id,) = _item_ids(officer.get("/cases/faces").text)
    detail = officer.get(f"/items/{item_id}").text
    assert "Find the source photo" in detail and "astro" in detail and 'class="facebox"' in detail
    assert "enrolled face" in detail and "same person at ≤ 0.6" in detail and "confidence" not in detail

    assert officer.get(f"/items/{item_id}/attribution").status_code == 405  # a POST with the CSRF token only
    answer = officer.post(f"/items/{item_id}/attribution", headers={"X-CSRF-Token": officer_token})
    assert answer.status_code == 200 and "no-store" in answer.headers["cache-control"]
    assert 'src="data:image/png;base64,' in answer.text and "astronaut.jpg" in answer.text
    audit = officer.get("/audit").text
    assert "faces.attributed" in audit and f"item:{item_id} identity:astro" in audit
    victim, victim_token = _signed_in(make_client, accounts, "astro-self", "victim", case="faces")
    assert victim.post(f"/items/{item_id}/attribution", headers={"X-CSRF-Token": victim_token}).status_code == 403
