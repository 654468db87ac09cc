"""``/self-report`` over HTTP: a person sends hashes only (no account), gets a case number and a PIN, and can
check and withdraw with them; partner lookups on another worker match the hashes by its next poll and stop matching
by the poll after withdrawal (the 1 s target is measured by bench/freshness.py).

The browser side (hashing on the device, no image bytes in any request) is tests/e2e/web/test_self_report_browser.py.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from reclaim.store import open_store
from reclaim.store.models import AccessAudit, BankContent, ContentSignal, SelfReport
from reclaim_testdata import eventually

PDQ = "2d6b1af3a956c529e79ca3d2526fa834d4196c81cedd04de0a26b855fc99b724"
NEAR = f"{int(PDQ, 16) ^ 0b1011:064x}"  # three bits away: a re-encoded copy
MD5 = "d35c785545392755e7e4164457657269"
SHA256 = "b5b0799616df52d475a3968dc7e54f1d0724c912244ffa6175bc786375dd7298"
PHOTO = {"kind": "photo", "md5": MD5, "sha256": SHA256, "pdq": PDQ, "pdq_quality": 100}


def form_token(client: TestClient, path: str = "/self-report") -> str:
    page = client.get(path)
    assert page.status_code == 200
    return page.text.split('name="csrf-token" content="')[1].split('"')[0]


def send(client: TestClient, items: list[dict], *, consent: bool = True, token: str | None = None):  # noqa: ANN201
    token = token if token is not None else form_token(client)
    return client.post("/self-report", json={"consent": consent, "items": items}, headers={"X-CSRF-Token": token})


def status(client: TestClient, number: str, pin: str, path: str = "/self-report/status", **extra: str):  # noqa: ANN201
    token = form_token(client, "/self-report/status")
    return client.post(path, data={"case_number": number, "pin": pin, "csrf_token": token} | extra)


def counts(page: str) -> dict[str, int]:
    return {key: int(page.split(f"data-{key}>")[1].split("<")[0]) for key in ("active", "withdrawn", "matches")}


def lookup(client: TestClient, signal: str = NEAR, signal_type: str = "pdq") -> list[dict]:
    answer = client.get("/api/v1/m/raw_lookup", params={"signal_type": signal_type, "signal": signal,
                                                          "include_distance": "true"})
    assert answer.status_code == 200, answer.text
    return answer.json()["matches"]


def test_page_keeps_its_contract_in_korean_by_default_and_english_on_request(anonymous_client: TestClient) -> None:
    page = anonymous_client.get("/self-report").text
    for needle in ('type="file" name="photos" multiple', 'name="consent"', 'type="submit"', '<html lang="ko">',
                   'src="/static/selfreport/page.js"', "사진과 영상은 이 기기 밖으로 나가지 않습니다"):
        assert needle in page
    assert "<script>" not in page  # no inline script: the page's code is a static file (CSP without inline)
    assert "never leave this device" in anonymous_client.get("/self-report?lang=en").text
    status_page = anonymous_client.get("/self-report/status").text
    assert 'name="case_number"' in status_page and 'name="pin"' in status_page


def test_self_report_is_matched_by_partners_on_another_worker_until_withdrawn(
    make_client: Callable[..., TestClient], database_url: str,
) -> None:
    person, partner = make_client(key=False), make_client()  # two workers over one database
    video = {"kind": "video", "md5": "0" * 31 + "1", "sha256": "ab" * 32, "pdq": PDQ, "pdq_quality": 100}
    answer = send(person, [PHOTO, video])
    assert answer.status_code == 201, answer.text
    number, pin = answer.json()["case_number"], answer.json()["pin"]
    assert number.startswith("SR-") and pin.isdigit() and len(pin) == 8

    answers: list[list[dict]] = []  # matches are counted per lookup (below): keep the one that matched

    def partner_matches() -> bool:
        answers.append(lookup(partner))
        return bool(answers[-1])

    eventually(partner_matches, "the other worker does not see the new self-report")
    found = answers[-1]
    with open_store(database_url) as store, store.session() as session:
        prefix = session.scalar(select(SelfReport.content_prefix).where(SelfReport.number == number))
    assert prefix and number not in prefix  # partners see content ids, never the case number
    assert found == [{"bank_content_id": f"{prefix}/1", "distance": 3, "bank": "self-reports",
                      "bank_kind": "self-report", "signal_type": "pdq", "verified": False}]
    assert [m["bank_content_id"] for m in lookup(partner, MD5, "md5")] == [f"{prefix}/1"]
    assert [m["bank_content_id"] for m in lookup(partner, "0" * 31 + "1", "md5")] == [f"{prefix}/2"]

    page = status(person, number, pin)
    assert page.status_code == 200
    assert counts(page.text) == {"active": 2, "withdrawn": 0, "matches": 3}  # three lookups matched
    assert 'name="withdraw"' in page.text

    done = status(person, f" {number.lower()} ", pin, "/self-report/withdraw", withdraw="all")
    assert done.status_code == 200
    assert counts(done.text) == {"active": 0, "withdrawn": 2, "matches": 3}
    eventually(lambda: not lookup(partner), "the other worker still matches the withdrawn self-report")
    assert lookup(partner, MD5, "md5") == []
    with open_store(database_url) as store, store.session() as session:  # kept on record, marked withdrawn
        report = session.scalar(select(SelfReport).where(SelfReport.number == number))
        assert report is not None and report.withdrawn_at is not None
        rows = session.scalars(select(BankContent).where(BankContent.content_id.startswith(prefix))).all()
        assert len(rows) == 2 and all(r.withdrawn_at is not None for r in rows)
        qualities = session.scalars(select(ContentSignal.quality).where(ContentSignal.signal == "pdq")).all()
        assert qualities == [100]  # the video's PDQ is not stored: photos only


def test_pin_is_stored_only_as_argon2id(make_client: Callable[..., TestClient], database_url: str) -> None:
    person = make_client(key=False)
    answer = send(person, [PHOTO]).json()
    with open_store(database_url) as store, store.session() as session:
        report = session.scalar(select(SelfReport).where(SelfReport.number == answer["case_number"]))
        assert report is not None and report.pin_hash.startswith("$argon2id$")
        every_value = " ".join(str(v) for table in (SelfReport, BankContent, ContentSignal)
                               for row in session.execute(select(table.__table__)).all() for v in row)
    assert answer["pin"] not in every_value
    if database_url.startswith("sqlite"):
        path = database_url.removeprefix("sqlite:///")
        assert answer["pin"].encode() not in Path(path).read_bytes()  # the raw file, free pages included


def test_wrong_pin_is_refused_then_rate_limited(anonymous_client: TestClient) -> None:
    answer = send(anonymous_client, [PHOTO]).json()
    wrong = "0" * 8 if answer["pin"] != "0" * 8 else "1" * 8
    first = status(anonymous_client, answer["case_number"], wrong)
    assert first.status_code == 401 and "not right" not in first.text and "맞지 않습니다" in first.text
    start, codes = time.monotonic(), [401]
    while codes[-1] != 429 and len(codes) < 40:
        codes.append(status(anonymous_client, answer["case_number"], wrong).status_code)
    refilled = int((time.monotonic() - start) * 0.1) + 1  # ten tries, then one every ten seconds
    assert codes[-1] == 429 and set(codes[:-1]) == {401} and 10 <= len(codes) - 1 <= 10 + refilled, codes
    assert status(anonymous_client, answer["case_number"], answer["pin"]).status_code == 429  # even the right one
    refused = status(anonymous_client, answer["case_number"], wrong, "/self-report/withdraw")
    assert refused.status_code == 429


def test_a_wrong_pin_withdraws_nothing(make_client: Callable[..., TestClient]) -> None:
    person, partner = make_client(key=False), make_client()
    answer = send(person, [PHOTO]).json()
    assert status(person, answer["case_number"], "12345678" if answer["pin"] != "12345678" else "87654321",
                  "/self-report/withdraw").status_code == 401
    assert lookup(partner)


def test_reports_are_rate_limited_per_address(anonymous_client: TestClient) -> None:
    token = form_token(anonymous_client)
    codes = [send(anonymous_client, [PHOTO | {"md5": f"{n:032x}"}], token=token).status_code for n in range(6)]
    assert codes == [201] * 5 + [429]


@pytest.mark.parametrize(("change", "status_code"), [
    ({"pdq": "zz" * 32}, 400), ({"md5": "x"}, 422), ({"pdq_quality": 101}, 422), ({"pdq_quality": None}, 400),
    ({"kind": "document"}, 422), ({"image": "base64..."}, 201),  # unknown fields are ignored, never stored
])
def test_bad_hashes_are_refused_and_nothing_is_banked(anonymous_client: TestClient, change: dict,
                                                      status_code: int, database_url: str) -> None:
    answer = send(anonymous_client, [PHOTO, PHOTO | change | {"md5": "f" * 32 if "md5" not in change else "x"}])
    assert answer.status_code == status_code, answer.text
    with open_store(database_url) as store, store.session() as session:
        banked = len(session.scalars(select(BankContent)).all())
        reports = len(session.scalars(select(SelfReport)).all())
    if status_code == 201:
        assert (banked, reports) == (2, 1)
    else:
        assert answer.json()["message"]
        assert (banked, reports) == (0, 0)  # all or nothing: the good item of the two is not banked either


def test_no_consent_no_token_no_report(anonymous_client: TestClient) -> None:
    assert send(anonymous_client, [PHOTO], consent=False).status_code == 400
    assert send(anonymous_client, [PHOTO], token="forged").status_code == 403
    assert anonymous_client.post("/self-report", content=b"{}", headers={
        "X-CSRF-Token": form_token(anonymous_client), "Content-Type": "text/plain"}).status_code == 415
    huge = [PHOTO | {"md5": f"{n:032x}"} for n in range(201)]
    assert send(anonymous_client, huge).status_code == 422
    assert status(anonymous_client, "SR-2222-2222", "1", csrf_token="").status_code == 403


def test_low_quality_pdq_is_stored_with_its_quality_and_not_matched(make_client: Callable[..., TestClient]) -> None:
    person, partner = make_client(key=False), make_client()
    assert send(person, [PHOTO | {"pdq_quality": 20}]).status_code == 201
    assert lookup(partner) == []  # the bank's quality floor (50) applies to what the browser said
    assert [m["bank_content_id"] for m in lookup(partner, MD5, "md5")]


def test_staff_see_self_reports_and_officers_attach_them_to_a_case(
    make_client: Callable[..., TestClient], accounts, cli,  # noqa: ANN001 - fixtures
    known_jpeg, database_url: str,  # noqa: ANN001
) -> None:
    person = make_client(key=False)
    number = send(person, [PHOTO]).json()["case_number"]
    assert cli("scan", known_jpeg.parent, "--case", "school-7").code in (0, 1)
    officer, victim = make_client(key=False), make_client(key=False)
    accounts.new_user(officer, "kim", "officer")
    accounts.new_user(officer, "minji", "victim", case="school-7")
    csrf = accounts.sign_in(officer, "kim")
    listing = officer.get("/").text
    assert f'data-self-report="{number}"' in listing and "Self-reports" in listing
    attached = officer.post(f"/self-reports/{number}/attach", data={"case": "school-7", "csrf_token": csrf},
                            follow_redirects=False)
    assert attached.status_code == 303
    row = officer.get("/").text.split(f'data-self-report="{number}"')[1].split("</tr>")[0]
    assert '<a href="/cases/school-7">school-7</a>' in row
    assert officer.post(f"/self-reports/{number}/attach", data={"case": "school-7"}).status_code == 403  # CSRF
    victim_csrf = accounts.sign_in(victim, "minji")
    assert victim.post(f"/self-reports/{number}/attach",
                       data={"case": "school-7", "csrf_token": victim_csrf}).status_code == 403
    with open_store(database_url) as store, store.session() as session:
        actions = session.execute(select(AccessAudit.actor, AccessAudit.action, AccessAudit.target)).all()
    assert ("user:kim", "self_report.attached", f"self-report:{number} case:school-7") in actions
