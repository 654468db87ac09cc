"""Re-uploads: an item that matched a case's confirmed bank after its originals were reported.

Confirmed items feed the case's own ``<case>-confirmed`` bank (cases/review.py), so any later scan, of any case,
that matches it has found the material again. Each such item not yet in a request is recorded and drafted into
a follow-up: a ``reupload`` notice to the platform that got the original request, or a first notice to
whichever host (Telegram, X, the web site) has the new copy. Running this again adds new finds to the same unsent draft.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from reclaim.cases.review import case_bank_name
from reclaim.cases.service import current_decisions, get_case
from reclaim.store.models import Item, MatchRow, TakedownRequest
from reclaim.takedown.notices import DraftSpec, Kind, draft_request, location_of
from reclaim.takedown.platforms import PLATFORMS
from reclaim.takedown.tracking import State, record_event

HOSTS = ("telegram", "x", "generic")  # where a new copy lives; search engines and regulators are not hosts


@dataclass
class ReuploadReport:
    found: list[str] = field(default_factory=list)  # locators of new copies
    drafts: list[int] = field(default_factory=list)  # follow-up requests drafted or extended
    unreported: list[str] = field(default_factory=list)  # copies of material never reported: nothing to follow
    unplaced: list[str] = field(default_factory=list)  # copies not on a host we write to (local files)


def find_reuploads(session: Session, case_name: str) -> ReuploadReport:
    case = get_case(session, case_name)
    report = ReuploadReport()
    originals = {i for i, r in current_decisions(session, case).items() if r.decision == "confirmed"}
    requests = session.scalars(
        select(TakedownRequest).where(TakedownRequest.case_id == case.id)
        .options(selectinload(TakedownRequest.items)).order_by(TakedownRequest.id)).all()
    in_requests = {i.item_id for r in requests for i in r.items}
    sent = [r for r in requests if r.state != State.DRAFTED.value and r.kind == Kind.INITIAL.value]
    hits = session.execute(
        select(MatchRow.content_id, Item).join(Item, MatchRow.item_id == Item.id)
        .where(MatchRow.bank == case_bank_name(case.name), MatchRow.suppressed.is_(False))
        .options(selectinload(Item.signals)).order_by(Item.id))
    groups: dict[tuple[str, int], set[int]] = {}  # (platform, parent request id) -> item ids
    parents = {r.id: r for r in sent}
    for content_id, item in hits:
        if item.id in originals or item.id in in_requests:
            continue
        report.found.append(item.locator)
        record_event(session, case.id, None, "reclaim", "reupload.found",
                     {"locator": item.locator, "sha256": item.sha256, "matched": content_id})
        parent = _parent_of(sent, session, content_id)
        if parent is None:
            report.unreported.append(item.locator)
            continue
        location = location_of(item, DraftSpec.from_json(parent.spec).locations)
        hosts = (PLATFORMS[parent.platform], *(PLATFORMS[name] for name in HOSTS))
        platform = next((p for p in hosts if p.serves(location)), None)
        if platform is None:
            report.unplaced.append(item.locator)
            continue
        groups.setdefault((platform.name, parent.id), set()).add(item.id)
    for (platform_name, parent_id), item_ids in groups.items():
        parent = parents[parent_id]
        spec = DraftSpec.from_json({**parent.spec, "platform": platform_name})
        kind = Kind.REUPLOAD if platform_name == parent.platform else Kind.INITIAL
        pending = _pending_draft_items(requests, platform_name, parent_id if kind is Kind.REUPLOAD else None, kind)
        request = draft_request(session, case_name, spec, kind=kind, parent=parent if kind is Kind.REUPLOAD else None,
                                item_ids=item_ids | pending)
        report.drafts.append(request.id)
    return report


def _parent_of(sent: list[TakedownRequest], session: Session, content_id: str) -> TakedownRequest | None:
    """The newest sent request that reported the original (the bank's content id is its sha256 or locator)."""
    for request in reversed(sent):
        for reported in request.items:
            if content_id in (reported.sha256, session.get_one(Item, reported.item_id).locator):
                return request
    return None


def _pending_draft_items(requests: Sequence[TakedownRequest], platform: str, parent_id: int | None,
                         kind: Kind) -> set[int]:
    """Items already in the unsent follow-up draft that this run would replace, so none is dropped."""
    return {i.item_id for r in requests if r.state == State.DRAFTED.value and r.platform == platform
            and r.parent_id == parent_id and r.kind == kind.value for i in r.items}

