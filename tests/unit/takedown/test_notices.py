"""Every platform × language notice carries every field its law or form asks for, the items, and no media."""

from __future__ import annotations

import re
from collections.abc import Iterator
from email import message_from_bytes
from email.policy import default

import pytest
from takedown_seed import CASE, REQUESTER, Seeded, seed_case

from reclaim.errors import UserError
from reclaim.store import Store, open_store
from reclaim.takedown.notices import ENV, DraftSpec, draft_request, missing_fields, notice_text, to_email
from reclaim.takedown.platforms import FIELD_HELP, LANGS, PLATFORMS, get_platform
from reclaim.takedown.tracking import State, transition

CELLS = [(p, lang) for p in PLATFORMS for lang in LANGS]
EXPECTED_ITEMS = {  # which seeded items (by index) each platform can act on
    "telegram": {0, 1}, "x": {2}, "google": {0, 2, 3, 4}, "generic": {3, 4}, "kcsc": {0, 1, 2, 3, 4},
    "support_center": {0, 1, 2, 3, 4},
}


def _spec(platform: str, lang: str) -> DraftSpec:
    return DraftSpec(platform, lang, REQUESTER, reference="REF-41", victim_consent=True)


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, list[Seeded]]]:
    """One seeded SQLite store for all twelve cells (each drafts a different platform and language)."""
    store = open_store(f"sqlite:///{tmp_path_factory.mktemp('notices') / 'reclaim.db'}")
    yield store, seed_case(store)
    store.close()


@pytest.mark.parametrize(("platform", "lang"), CELLS)
def test_notice_has_every_required_field_and_item(shared: tuple[Store, list[Seeded]], platform: str,
                                                   lang: str) -> None:
    store, seeded = shared
    with store.session() as session:
        request = draft_request(session, CASE, _spec(platform, lang))
        text = notice_text(request.subject, request.body)
        located = {i.location for i in request.items}
    expected = [seeded[n] for n in sorted(EXPECTED_ITEMS[platform])]
    assert located == {s.location for s in expected}
    for s in expected:
        assert s.location in text and s.sha256 in text and s.pdq in text
    for s in seeded:
        if s not in expected:
            assert s.sha256 not in text  # an item elsewhere is not this platform's business
    fields = get_platform(platform).fields
    assert set(fields) <= set(FIELD_HELP)
    assert {"reference", "locations", "sha256", "found_at", "requester", "no_media", "signature"} <= set(fields)
    assert "REF-41" in text and REQUESTER.name in text and REQUESTER.email in text
    assert text.isprintable() or all(ch.isprintable() or ch == "\n" for ch in text)  # text only, no media bytes
    if lang == "ko":
        assert re.search(r"[가-힣]", request.subject)
        # Formal 합쇼체 throughout: a sentence that ends in 다. ends in 니다. (never 한다. / 이다.)
        endings = re.findall(r"(\S*다)\.(?:\s|$)", text)
        assert endings and all(e.endswith("니다") for e in endings), endings
    else:
        assert not re.search(r"[가-힣]", text.replace(seeded[1].location, "").replace("private room", ""))


def test_take_it_down_and_dsa_fields_are_where_the_laws_want_them() -> None:
    for name in ("generic", "x", "telegram"):
        assert {"signature", "good_faith", "capacity", "locations", "requester", "deadline"} <= set(
            get_platform(name).fields)  # TAKE IT DOWN Act section 3
        assert {"locations", "explanation", "requester", "accuracy"} <= set(get_platform(name).fields)  # DSA 16
    assert {"victim_consent", "prior_requests"} <= set(get_platform("support_center").fields)


@pytest.mark.parametrize("lang", LANGS)
def test_a_notice_missing_a_statement_is_caught(store: Store, seeded: list[Seeded], lang: str) -> None:
    platform = get_platform("generic")
    with store.session() as session:
        request = draft_request(session, CASE, _spec("generic", lang))
    context = {"items": [], "requester": REQUESTER, "reference": "REF-41", "laws": platform.laws,
               "deadline_hours": 48, "date": request.created_at.strftime("%Y-%m-%d"), "prior": []}  # the day drafted
    good_faith = ENV.get_template(f"_common/{lang}.txt.j2").module.good_faith()
    broken = request.body.replace(str(good_faith), "")
    assert broken != request.body
    assert missing_fields(platform, lang, broken, context) == ["good_faith"]


def test_email_is_plain_text_with_no_attachment(store: Store, seeded: list[Seeded]) -> None:
    with store.session() as session:
        request = draft_request(session, CASE, _spec("telegram", "ko"))
        message = message_from_bytes(to_email(request).as_bytes(), policy=default)
    assert message["To"] == "abuse@telegram.org" and REQUESTER.email in message["From"]
    assert message["Subject"].startswith("[신고] 텔레그램")
    assert not message.is_multipart() and message.get_content_type() == "text/plain"
    assert seeded[0].sha256 in message.get_content() and seeded[0].location in message.get_content()


def test_recipients_scope_and_refusals(store: Store, seeded: list[Seeded]) -> None:
    with store.session() as session:
        generic = draft_request(session, CASE, _spec("generic", "en"))
        assert generic.recipient == "abuse@files.example.net"  # RFC 2142 mailbox of the one host
        assert draft_request(session, CASE, _spec("x", "en")).recipient == ""  # X takes reports by web form
        with pytest.raises(UserError, match="victim's consent"):
            draft_request(session, CASE, DraftSpec("support_center", "ko", REQUESTER))
        with pytest.raises(UserError, match="unknown platform"):
            draft_request(session, CASE, DraftSpec("myspace", "en", REQUESTER))
        with pytest.raises(UserError, match="unknown notice language"):
            draft_request(session, CASE, DraftSpec("x", "fr", REQUESTER))


def test_redraft_replaces_the_draft_and_sent_items_are_not_reported_twice(store: Store, seeded: list[Seeded]) -> None:
    with store.session() as session:
        first = draft_request(session, CASE, _spec("generic", "en"))
        again = draft_request(session, CASE, _spec("generic", "en"))
        assert again.id == first.id and len(again.items) == 2
        transition(session, again, State.SENT, "officer")
        with pytest.raises(UserError, match="already reported"):
            draft_request(session, CASE, _spec("generic", "en"))
        other_lang = draft_request(session, CASE, _spec("telegram", "en"))
        assert other_lang.id != first.id


HOSTILE = "line one\r\nX-Injected: yes\n\x00\x1b[31m\x07\u2028\u2029\x85\u202eend"


def test_untrusted_text_cannot_add_lines_or_headers(store: Store) -> None:
    """Poster, chat, link, reference and requester with CR/LF, NUL, escapes, separators and bidi overrides."""
    from reclaim.cases import Decision, create_case, review_item
    from reclaim.store.models import Item, ItemSignal, Scan
    from reclaim.takedown.notices import Capacity, Requester

    with store.session() as session:
        case = create_case(session, "hostile")
        scan = Scan(case_id=case.id, target="seed")
        session.add(scan)
        session.flush()
        # a locator is a text column: PostgreSQL refuses NUL in it (sources never make one); the rest keeps NUL
        locator = f"telegram:1/{HOSTILE.replace(chr(0), '')}"
        item = Item(case_id=case.id, scan_id=scan.id, locator=locator, status="hashed",
                    sha256="ab" * 32, signals=[ItemSignal(signal="sha256", version="1", value="ab" * 32)],
                    context={"source": "telegram", "link": f"https://t.me/c/1/2{HOSTILE}", "chat_name": HOSTILE,
                             "poster": HOSTILE, "posted_at": HOSTILE})
        session.add(item)
        session.flush()
        review_item(session, "hostile", item.locator, Decision.CONFIRMED, "officer")
    requester = Requester(f"Kim{HOSTILE}", "officer@support.example.org", HOSTILE, HOSTILE, Capacity.REPRESENTATIVE)
    with store.session() as session:
        request = draft_request(session, "hostile", DraftSpec("telegram", "en", requester, reference=HOSTILE))
        text = notice_text(request.subject, request.body)
        eml = to_email(request).as_bytes()
    assert not any(ch in text for ch in "\r\x00\x1b\x07\u2028\u2029\x85\u202e")
    assert not any(line.startswith("X-Injected") for line in text.splitlines())
    assert "line one X-Injected: yes [31m end" in text  # kept, on one line
    headers = message_from_bytes(eml, policy=default)
    assert headers["X-Injected"] is None and "\n" not in headers["Subject"]
    assert not any(line.startswith(b"X-Injected") for line in eml.splitlines())
