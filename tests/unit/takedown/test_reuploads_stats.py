"""Re-uploads found by a later scan become follow-up drafts; statistics count items and time to removal."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from takedown_seed import CASE, REQUESTER, Seeded

from reclaim.cases import case_bank_name, create_case
from reclaim.store import Store
from reclaim.store.models import Case, Item, MatchRow, Scan, utcnow
from reclaim.takedown.notices import DraftSpec, draft_request
from reclaim.takedown.reuploads import find_reuploads
from reclaim.takedown.stats import takedown_stats
from reclaim.takedown.tracking import State, get_request, transition


def _copy_found(store: Store, locator: str, of: Seeded, case: str = "later-sweep") -> None:
    """What a scan records when it finds a copy of a confirmed item: a match in the case's confirmed bank."""
    with store.session() as session:
        owner = session.query(Case).filter_by(name=case).one_or_none() or create_case(session, case)
        scan = Scan(case_id=owner.id, target="sweep")
        session.add(scan)
        session.flush()
        item = Item(case_id=owner.id, scan_id=scan.id, locator=locator, context={}, status="hashed",
                    sha256=hashlib.sha256(locator.encode()).hexdigest())
        session.add(item)
        session.flush()
        session.add(MatchRow(item_id=item.id, bank=case_bank_name(CASE), bank_kind="known", content_id=of.sha256,
                             signal="pdq", signal_version="1", distance=4.0))


def test_reuploads_draft_follow_ups_once(store: Store, seeded: list[Seeded]) -> None:
    with store.session() as session:
        original = draft_request(session, CASE, DraftSpec("generic", "ko", REQUESTER))
        transition(session, original, State.SENT, "officer")
    _copy_found(store, "https://files.example.net/u/again.jpg", seeded[3])
    _copy_found(store, "https://x.com/other/status/99", seeded[4])
    _copy_found(store, "/seized/phone/DCIM/copy.jpg", seeded[3])
    _copy_found(store, "https://t.me/c/1/2", seeded[0])  # its original was never reported
    with store.session() as session:
        report = find_reuploads(session, CASE)
        drafts = {get_request(session, i).platform: get_request(session, i) for i in report.drafts}
        follow, first_x = drafts["generic"], drafts["x"]
        assert (follow.kind, follow.parent_id, follow.lang) == ("reupload", original.id, "ko")
        assert [i.location for i in follow.items] == ["https://files.example.net/u/again.jpg"]
        assert f"요청 #{original.id}" in follow.body and "다시 게시되었습니다" in follow.body
        assert (first_x.kind, [i.location for i in first_x.items]) == ("initial", ["https://x.com/other/status/99"])
    assert report.unplaced == ["/seized/phone/DCIM/copy.jpg"] and report.unreported == ["https://t.me/c/1/2"]
    with store.session() as session:
        assert find_reuploads(session, CASE).drafts == []  # nothing new: no new drafts
    _copy_found(store, "https://files.example.net/u/third.jpg", seeded[4])
    with store.session() as session:
        (extended,) = find_reuploads(session, CASE).drafts
        assert extended == follow.id  # the unsent follow-up grows; no copy is dropped
        assert len(get_request(session, extended).items) == 2


def test_stats_per_case_platform_and_overall(store: Store, seeded: list[Seeded]) -> None:
    sent = utcnow() - timedelta(hours=30)
    with store.session() as session:
        generic = draft_request(session, CASE, DraftSpec("generic", "en", REQUESTER))
        telegram = draft_request(session, CASE, DraftSpec("telegram", "en", REQUESTER))
        draft_request(session, CASE, DraftSpec("x", "en", REQUESTER))  # drafted only: not "reported"
        transition(session, generic, State.SENT, "officer", at=sent)
        transition(session, generic, State.REMOVED, "officer", at=sent + timedelta(hours=10))
        transition(session, telegram, State.SENT, "officer", at=sent)
        transition(session, telegram, State.NO_RESPONSE, "officer")
        create_case(session, "empty-case")
        rows = takedown_stats(session)
    by_scope = {r.scope: r for r in rows}
    assert list(by_scope) == [CASE, "empty-case", "all cases"]
    case = by_scope[CASE]
    assert (case.found, case.confirmed, case.reported, case.removed) == (5, 5, 4, 2)
    platforms = {p.platform: p for p in case.platforms}
    assert (platforms["generic"].removed, platforms["generic"].median_hours_to_removal) == (2, 10.0)
    assert (platforms["telegram"].no_response, platforms["telegram"].median_hours_to_removal) == (1, None)
    assert "x" not in platforms
    assert by_scope["all cases"].reported == 4 and by_scope["empty-case"].found == 0
