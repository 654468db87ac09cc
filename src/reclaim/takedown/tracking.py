"""Where each removal request stands: drafted → sent → acknowledged → removed | refused | no_response.

Every change is an append-only ``takedown_events`` row (who, what, when, details), so the history of a case's
takedown work can be shown to a court or published as statistics. A send or a manual "sent" is an officer's
sign-off: it is also handed to a custody recorder (the evidence log's ``append`` fits :data:`Recorder`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, overload

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from reclaim.errors import NotFound, UserError
from reclaim.store.models import Case, TakedownEvent, TakedownItem, TakedownRequest, utcnow

# (actor, action, object_sha256, details): the shape of reclaim.evidence's CustodyLog.append.
Recorder = Callable[[str, str, str | None, dict[str, Any]], object]
REMIND_EVERY = timedelta(hours=24)


class State(StrEnum):
    DRAFTED = "drafted"
    SENT = "sent"
    ACKNOWLEDGED = "acknowledged"
    REMOVED = "removed"
    REFUSED = "refused"
    NO_RESPONSE = "no_response"


NEXT: dict[State, frozenset[State]] = {
    State.DRAFTED: frozenset({State.SENT}),
    State.SENT: frozenset({State.ACKNOWLEDGED, State.REMOVED, State.REFUSED, State.NO_RESPONSE}),
    State.ACKNOWLEDGED: frozenset({State.REMOVED, State.REFUSED, State.NO_RESPONSE}),
    State.NO_RESPONSE: frozenset({State.ACKNOWLEDGED, State.REMOVED, State.REFUSED}),
    State.REFUSED: frozenset({State.REMOVED}),  # a later re-check can still find it gone
    State.REMOVED: frozenset(),
}
OPEN = frozenset({State.SENT, State.ACKNOWLEDGED, State.NO_RESPONSE, State.REFUSED})  # content may still be up


@overload
def aware(moment: datetime) -> datetime: ...
@overload
def aware(moment: None) -> None: ...
def aware(moment: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; every stored time is UTC."""
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


def record_event(session: Session, case_id: int, request_id: int | None, actor: str, action: str,
                 details: dict[str, Any] | None = None) -> TakedownEvent:
    event = TakedownEvent(case_id=case_id, request_id=request_id, actor=actor, action=action, details=details or {})
    session.add(event)
    session.flush()
    return event


def get_request(session: Session, request_id: int) -> TakedownRequest:
    request = session.get(TakedownRequest, request_id, options=[selectinload(TakedownRequest.items)])
    if request is None:
        raise NotFound(f"no takedown request #{request_id}")
    return request


def transition(session: Session, request: TakedownRequest, to: State, actor: str, *, note: str = "",
               reference: str = "", at: datetime | None = None, custody: Recorder | None = None) -> None:
    """Move a request to ``to`` if the state machine allows it, and record who did it and why."""
    if not actor.strip():
        raise UserError(f"request #{request.id}: a state change needs the officer's name")
    current = State(request.state)
    if to not in NEXT[current]:
        allowed = ", ".join(sorted(NEXT[current])) or "nothing (final)"
        raise UserError(f"request #{request.id} is {current}: it can go to {allowed}, not {to}")
    at = at or utcnow()
    request.state = to.value
    if reference:
        request.reference = reference
    if to is State.SENT:
        request.sent_at, request.deadline_at = at, at + timedelta(hours=request.deadline_hours)
    if to in (State.REMOVED, State.REFUSED, State.NO_RESPONSE):
        request.closed_at = at
    if to is State.REMOVED:
        for item in request.items:
            if item.status != "removed":
                item.status, item.removed_at = "removed", at
    details = {"from": current.value, "to": to.value, "note": note, "reference": request.reference}
    record_event(session, request.case_id, request.id, actor, f"state.{to.value}", details)
    if to is State.SENT and custody is not None:
        case = session.get(Case, request.case_id)
        custody(actor, "takedown.sent", request.body_sha256,
                {"case": case.name if case else None, "request": request.id, "platform": request.platform,
                 "lang": request.lang,
                 "channel": request.channel, "recipient": request.recipient, "note": note})


def save_draft(session: Session, case: Case, request: TakedownRequest, items: Iterable[TakedownItem],
               actor: str) -> TakedownRequest:
    """Store a drafted request; a still-unsent draft for the same case, platform, language and kind is replaced."""
    existing = session.scalar(
        select(TakedownRequest).where(
            TakedownRequest.case_id == case.id, TakedownRequest.platform == request.platform,
            TakedownRequest.lang == request.lang, TakedownRequest.kind == request.kind,
            TakedownRequest.parent_id.is_not_distinct_from(request.parent_id),
            TakedownRequest.state == State.DRAFTED.value,
        ).options(selectinload(TakedownRequest.items))
    )
    if existing is not None:
        for column in ("channel", "recipient", "subject", "body", "body_sha256", "spec", "deadline_hours"):
            setattr(existing, column, getattr(request, column))
        existing.items.clear()
        session.flush()
        request = existing
    else:
        request.case_id, request.state = case.id, State.DRAFTED.value
        session.add(request)
    request.items.extend(items)
    session.flush()
    record_event(session, case.id, request.id, actor, "redrafted" if existing else "drafted",
                 {"platform": request.platform, "lang": request.lang, "kind": request.kind,
                  "items": len(request.items), "body_sha256": request.body_sha256})
    return request


def reported_item_ids(session: Session, case_id: int, platform: str) -> set[int]:
    """Items already sent to this platform in some request (drafts do not count)."""
    return set(session.scalars(
        select(TakedownItem.item_id).join(TakedownRequest).where(
            TakedownRequest.case_id == case_id, TakedownRequest.platform == platform,
            TakedownRequest.state != State.DRAFTED.value)
    ))


@dataclass(frozen=True)
class RequestRow:
    id: int
    case: str
    platform: str
    lang: str
    kind: str
    state: str
    recipient: str
    sent_at: datetime | None
    deadline_at: datetime | None
    items: int
    removed: int
    overdue: bool


def request_rows(session: Session, case_name: str | None = None, now: datetime | None = None) -> list[RequestRow]:
    now = now or utcnow()
    removed = func.count(TakedownItem.removed_at)
    query = (
        select(TakedownRequest, Case.name, func.count(TakedownItem.id), removed)
        .join(Case, Case.id == TakedownRequest.case_id)
        .outerjoin(TakedownItem, TakedownItem.request_id == TakedownRequest.id)
        .group_by(TakedownRequest.id, Case.name)
        .order_by(TakedownRequest.id)
    )
    if case_name is not None:
        query = query.where(Case.name == case_name)
    rows = []
    for request, case, total, gone in session.execute(query):
        deadline = aware(request.deadline_at)
        overdue = State(request.state) in OPEN and deadline is not None and deadline < now and gone < total
        rows.append(RequestRow(request.id, case, request.platform, request.lang, request.kind, request.state,
                               request.recipient, aware(request.sent_at), deadline, total, gone, overdue))
    return rows


def remind(session: Session, rows: Iterable[RequestRow], now: datetime | None = None) -> list[RequestRow]:
    """Overdue requests not reminded in the last day; each gets a ``reminder`` event so it is not repeated."""
    now = now or utcnow()
    due = []
    for row in rows:
        if not row.overdue:
            continue
        last = session.scalar(select(func.max(TakedownEvent.at)).where(
            TakedownEvent.request_id == row.id, TakedownEvent.action == "reminder"))
        if last is None or aware(last) <= now - REMIND_EVERY:
            request = get_request(session, row.id)
            record_event(session, request.case_id, row.id, "reclaim", "reminder",
                         {"deadline": row.deadline_at.isoformat() if row.deadline_at else None})
            due.append(row)
    return due
