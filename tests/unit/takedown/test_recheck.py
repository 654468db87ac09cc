"""Re-checks against a local web server: up, 404, 410, redirect to a 'removed' page, timeout; then what follows."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from takedown_seed import CASE, REQUESTER, Seeded, http_server

from reclaim.store import Store
from reclaim.store.models import utcnow
from reclaim.takedown.notices import DraftSpec, draft_request
from reclaim.takedown.recheck import Outcome, check_url, recheck_case
from reclaim.takedown.tracking import State, get_request, transition


def test_check_url_outcomes() -> None:
    with http_server() as server, httpx.Client(timeout=2.0, follow_redirects=True) as client:  # 2 s: loaded CI cores
        base = f"http://127.0.0.1:{server.server_port}"
        results = {path: check_url(client, base + path) for path in
                   ("/up", "/media.jpg", "/gone404", "/gone410", "/moved", "/slow")}
        seen = list(server.seen)
    assert {p: r.outcome for p, r in results.items()} == {
        "/up": Outcome.UP, "/media.jpg": Outcome.UP, "/gone404": Outcome.REMOVED, "/gone410": Outcome.REMOVED,
        "/moved": Outcome.REMOVED, "/slow": Outcome.UNREACHABLE}
    assert ("GET", "/media.jpg") not in seen  # still-served media is recognised from HEAD: never downloaded
    assert ("GET", "/up") in seen  # a page is read (its first 64 KiB) to look for removal wording
    moved = results["/moved"].evidence["steps"][-1]
    assert moved["redirects"] == [[302, base + "/moved"]] and moved["final_url"] == base + "/removed"
    assert results["/gone410"].reason == "HTTP 410" and results["/slow"].reason == "timeout"
    assert "removed" in results["/moved"].reason


@pytest.mark.parametrize("taken_down", [True, False])
def test_recheck_closes_removed_requests_and_escalates_overdue_ones(store: Store, seeded: list[Seeded],
                                                                   taken_down: bool) -> None:
    with http_server() as server, httpx.Client(timeout=2, follow_redirects=True) as client:
        server.taken_down = taken_down
        base = f"http://127.0.0.1:{server.server_port}"
        locations = {seeded[3].locator: f"{base}/post/1", seeded[4].locator: f"{base}/gone404"}
        spec = DraftSpec("generic", "en", REQUESTER, locations=locations)
        with store.session() as session:
            request = draft_request(session, CASE, spec)
            transition(session, request, State.SENT, "officer", at=utcnow() - timedelta(hours=49))
            report = recheck_case(session, CASE, client)
            again = recheck_case(session, CASE, client)
            state = get_request(session, request.id).state
            statuses = {i.location: i.status for i in get_request(session, request.id).items}
            escalation = get_request(session, report.escalations[0]) if report.escalations else None
            follow_up = (escalation.kind, escalation.parent_id, [i.location for i in escalation.items],
                         escalation.body) if escalation else None
    assert statuses[f"{base}/gone404"] == "removed"
    if taken_down:
        assert state == "removed" and report.removed_requests == [request.id] and not report.escalations
        assert again.checks == []  # nothing left to check
    else:
        assert state == "sent" and statuses[f"{base}/post/1"] == "up"
        kind, parent, items, body = follow_up
        assert (kind, parent, items) == ("escalation", request.id, [f"{base}/post/1"])
        assert f"follow-up to our request #{request.id}" in body
        assert again.escalations == []  # one escalation per request
