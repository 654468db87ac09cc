"""The request state machine, deadlines and reminders, SMTP sending with per-notice confirmation, and sign-off."""

from __future__ import annotations

from datetime import timedelta
from email import message_from_bytes
from email.policy import default
from pathlib import Path
from typing import Any

import pytest
from takedown_seed import CASE, REQUESTER, Seeded, smtp_server

from reclaim.errors import ExternalError, UserError
from reclaim.evidence import CustodyLog, SigningKey
from reclaim.store import Store
from reclaim.store.models import TakedownEvent, utcnow
from reclaim.takedown.notices import DraftSpec, draft_request
from reclaim.takedown.sending import SmtpSettings, send_requests
from reclaim.takedown.tracking import State, get_request, remind, request_rows, transition


def _draft(store: Store, platform: str = "telegram", lang: str = "en") -> int:
    with store.session() as session:
        return draft_request(session, CASE, DraftSpec(platform, lang, REQUESTER)).id


def test_state_machine_deadline_and_reminders(store: Store, seeded: list[Seeded]) -> None:
    request_id = _draft(store)
    signed: list[tuple[Any, ...]] = []
    with store.session() as session:
        request = get_request(session, request_id)
        with pytest.raises(UserError, match="can go to sent, not removed"):
            transition(session, request, State.REMOVED, "officer")
        sent_at = utcnow() - timedelta(hours=50)
        transition(session, request, State.SENT, "officer kim", at=sent_at, custody=lambda *a: signed.append(a))
        assert request.deadline_at == sent_at + timedelta(hours=48)
        (row,) = request_rows(session, CASE)
        assert row.overdue and row.state == "sent"
        assert [r.id for r in remind(session, [row])] == [request_id]
        assert remind(session, [row]) == []  # once a day, not on every status call
        transition(session, request, State.ACKNOWLEDGED, "officer kim", reference="TG-123")
        transition(session, request, State.REMOVED, "officer kim", note="confirmed gone")
        assert all(i.status == "removed" for i in request.items)
        with pytest.raises(UserError, match="final"):
            transition(session, request, State.SENT, "officer kim")
        actions = [e.action for e in session.query(TakedownEvent).order_by(TakedownEvent.id)]
    assert actions == ["drafted", "state.sent", "reminder", "state.acknowledged", "state.removed"]
    ((actor, action, sha, details),) = signed
    assert (actor, action, details["request"], details["recipient"]) == (
        "officer kim", "takedown.sent", request_id, "abuse@telegram.org")
    assert len(sha) == 64


def test_nothing_is_sent_without_a_yes_per_notice(store: Store, seeded: list[Seeded], tmp_path: Path) -> None:
    first, second = _draft(store, "telegram", "ko"), _draft(store, "generic", "en")
    key = SigningKey.generate()
    log = CustodyLog.create(tmp_path / "custody.jsonl", key, actor="test")
    with smtp_server() as (inbox, port):
        smtp = SmtpSettings("127.0.0.1", port, starttls=False)
        report = send_requests(store, [first, second], "officer kim", smtp, lambda r, m: False, log.append)
        assert (report.sent, report.declined, inbox.messages) == ([], [first, second], [])
        report = send_requests(store, [first, second], "officer kim", smtp, lambda r, m: r.id == first, log.append)
        assert (report.sent, report.declined) == ([first], [second])
        assert len(inbox.messages) == 1
        with pytest.raises(UserError, match="already sent"):
            send_requests(store, [first], "officer kim", smtp, lambda r, m: True)
    message = message_from_bytes(inbox.messages[0], policy=default)
    assert message["To"] == "abuse@telegram.org" and "텔레그램" in message["Subject"]
    assert not message.is_multipart()
    assert all(s.sha256 in message.get_content() for s in seeded[:2])
    with store.session() as session:
        assert get_request(session, first).state == "sent" and get_request(session, second).state == "drafted"
        body_sha = get_request(session, first).body_sha256
    entries = log.entries()
    assert [(e.actor, e.action, e.object_sha256) for e in entries[1:]] == [("officer kim", "takedown.sent", body_sha)]
    log.verify()


def test_smtp_down_is_an_external_error_and_nothing_is_marked(store: Store, seeded: list[Seeded]) -> None:
    request_id = _draft(store)
    with smtp_server() as (_, port):
        pass  # the port is now closed
    with pytest.raises(ExternalError, match=f"127.0.0.1:{port}"):
        send_requests(store, [request_id], "officer", SmtpSettings("127.0.0.1", port, starttls=False, timeout=2),
                      lambda r, m: True)
    with store.session() as session:
        assert get_request(session, request_id).state == "drafted"


def test_form_channels_cannot_be_mailed(store: Store, seeded: list[Seeded]) -> None:
    request_id = _draft(store, "x", "en")
    with pytest.raises(UserError, match="no e-mail recipient"):
        send_requests(store, [request_id], "officer", SmtpSettings("127.0.0.1", 1, starttls=False), lambda r, m: True)
