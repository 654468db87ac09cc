"""Re-check reported URLs: is each item still up? The response is kept as evidence, never the media.

HEAD first, so a still-served image or video is recognised from its headers without downloading it; GET only
when HEAD is refused or the answer is a page (text), whose first 64 KiB are searched for "removed" wording.
404/410/451, a "removed" page (also after a redirect) and KCSC's warning.or.kr block page count as removed;
timeouts, connection errors and other error statuses (401, 403, 429, 5xx) say nothing ("unreachable").
A request whose items are all removed becomes ``removed``; one still up past its deadline gets an escalation draft.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from reclaim.cases.service import get_case
from reclaim.store.models import TakedownItem, TakedownRequest, utcnow
from reclaim.takedown.notices import DraftSpec, Kind, draft_request
from reclaim.takedown.tracking import OPEN, State, aware, record_event, transition

BODY_LIMIT = 64 * 1024
REMOVED_STATUS = frozenset({404, 410, 451})
REMOVED_WORDS = re.compile(
    r"(has been removed|been deleted|no longer available|content (is )?unavailable|taken down|"
    r"post not found|page not found|this (account|page|post) (doesn't|does not) exist|"
    r"삭제(된|되었|됨)|존재하지 않는|접속이 차단|차단된 (페이지|사이트))", re.IGNORECASE)
REMOVED_HOSTS = ("warning.or.kr",)  # where Korean ISPs send blocked pages
REMOVED_PATHS = re.compile(r"/(removed|deleted|unavailable|gone)(/|$|\?)", re.IGNORECASE)


class Outcome(StrEnum):
    UP = "up"
    REMOVED = "removed"
    UNREACHABLE = "unreachable"


@dataclass(frozen=True)
class Check:
    location: str
    outcome: Outcome
    reason: str
    evidence: dict[str, Any]


@dataclass
class RecheckReport:
    checks: list[Check] = field(default_factory=list)
    removed_requests: list[int] = field(default_factory=list)
    escalations: list[int] = field(default_factory=list)
    not_checkable: list[str] = field(default_factory=list)  # Telegram messages without a public link


def check_url(client: httpx.Client, url: str) -> Check:
    """Classify one URL (see the module docstring); ``client`` should follow redirects."""
    steps: list[dict[str, Any]] = []
    try:
        head = client.head(url)
        steps.append(_step("HEAD", head, b""))
        is_page = head.headers.get("content-type", "").startswith(("text/", "application/xhtml"))
        if head.status_code in (405, 501) or (head.is_success and is_page):
            with client.stream("GET", url) as get:
                body = _read_prefix(get)
                steps.append(_step("GET", get, body))
                verdict = _by_status(get) or _by_page(get, body)
        else:
            verdict = _by_status(head) or _by_page(head, b"")
    except httpx.TimeoutException:
        return Check(url, Outcome.UNREACHABLE, "timeout", {"url": url, "steps": steps, "error": "timeout"})
    except httpx.HTTPError as exc:
        return Check(url, Outcome.UNREACHABLE, f"error: {exc}", {"url": url, "steps": steps, "error": str(exc)})
    outcome, reason = verdict
    return Check(url, outcome, reason, {"url": url, "steps": steps})


def recheck_case(session: Session, case_name: str, client: httpx.Client) -> RecheckReport:
    """Check every reported, not yet removed item of the case's open requests; act on what is found."""
    case = get_case(session, case_name)
    report = RecheckReport()
    requests = session.scalars(
        select(TakedownRequest).where(TakedownRequest.case_id == case.id,
                                      TakedownRequest.state.in_([s.value for s in OPEN]))
        .options(selectinload(TakedownRequest.items)).order_by(TakedownRequest.id)).all()
    for request in requests:
        for item in request.items:
            if item.status == "removed":
                continue
            if not _checkable(item.location):
                report.not_checkable.append(item.location)
                continue
            check = check_url(client, item.location)
            report.checks.append(check)
            _apply(session, request, item, check)
        _settle(session, case_name, request, report)
    return report


def _apply(session: Session, request: TakedownRequest, item: TakedownItem, check: Check) -> None:
    now = utcnow()
    item.status, item.checked_at = check.outcome.value, now
    if check.outcome is Outcome.REMOVED:
        item.removed_at = now
    record_event(session, request.case_id, request.id, "reclaim", "check",
                 {"location": item.location, "outcome": check.outcome.value, "reason": check.reason,
                  "evidence": check.evidence})


def _settle(session: Session, case_name: str, request: TakedownRequest, report: RecheckReport) -> None:
    if request.items and all(i.status == "removed" for i in request.items):
        transition(session, request, State.REMOVED, "reclaim", note="re-check found every item removed")
        report.removed_requests.append(request.id)
        return
    still_up = {i.item_id for i in request.items if i.status == "up"}
    deadline = aware(request.deadline_at)
    if not still_up or deadline is None or deadline > utcnow() or request.kind == Kind.ESCALATION.value:
        return
    escalated = session.scalar(select(TakedownRequest.id).where(
        TakedownRequest.parent_id == request.id, TakedownRequest.kind == Kind.ESCALATION.value))
    if escalated is None:
        follow = draft_request(session, case_name, DraftSpec.from_json(request.spec), kind=Kind.ESCALATION,
                               parent=request, item_ids=still_up)
        report.escalations.append(follow.id)


def _checkable(location: str) -> bool:
    """Web URLs only; private Telegram links (t.me/c/...) show a login page to anyone outside the chat."""
    return location.startswith(("http://", "https://")) and "//t.me/c/" not in location


def _by_status(response: httpx.Response) -> tuple[Outcome, str] | None:
    code = response.status_code
    if code in REMOVED_STATUS:
        return Outcome.REMOVED, f"HTTP {code}"
    if not response.is_success:
        return Outcome.UNREACHABLE, f"HTTP {code}"
    return None


def _by_page(response: httpx.Response, body: bytes) -> tuple[Outcome, str]:
    final = response.url
    if (final.host or "").endswith(REMOVED_HOSTS) or REMOVED_PATHS.search(final.path or ""):
        return Outcome.REMOVED, f"redirected to {final}"
    found = REMOVED_WORDS.search(body.decode(response.encoding or "utf-8", errors="replace"))
    if found:
        return Outcome.REMOVED, f"page says {found.group(0)!r}"
    return Outcome.UP, f"HTTP {response.status_code}, {response.headers.get('content-type', 'no content type')}"


def _read_prefix(response: httpx.Response) -> bytes:
    body = b""
    for chunk in response.iter_bytes():
        body += chunk
        if len(body) >= BODY_LIMIT:
            break
    return body[:BODY_LIMIT]


def _step(method: str, response: httpx.Response, body: bytes) -> dict[str, Any]:
    headers = {k: response.headers[k] for k in ("content-type", "content-length", "date", "server", "last-modified")
               if k in response.headers}
    return {"method": method, "status": response.status_code, "final_url": str(response.url),
            "redirects": [[r.status_code, str(r.url)] for r in response.history], "headers": headers,
            "body_sha256": hashlib.sha256(body).hexdigest() if body else None, "body_bytes_read": len(body)}
