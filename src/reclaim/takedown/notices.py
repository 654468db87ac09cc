"""Draft removal notices from a case: one per platform and language, from Jinja2 templates, checked field by field.

A notice names every item by its location, the time Reclaim found it and its sha256 (and PDQ, so a platform can
hash-match copies); it never carries the media. After rendering, :func:`missing_fields` looks for every field the
platform's law or form asks for (platforms.py) and a notice missing one is refused, not drafted.

Every value that comes from a source or a person (chat names, posters, links, locators, the case reference,
the requester's details, recipients) goes through :func:`one_line` first: control characters removed and
line breaks made spaces, so a poster named "x\\nX-Priority: 1" cannot add a line to a notice or a header to
an e-mail.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, formataddr, make_msgid
from enum import StrEnum
from hashlib import sha256
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment, PackageLoader, StrictUndefined
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from reclaim.cases.matches import is_matched, matches_by_item
from reclaim.cases.service import current_decisions, get_case
from reclaim.errors import IntegrityError, UserError
from reclaim.store.models import Case, Item, TakedownItem, TakedownRequest
from reclaim.takedown.platforms import PLATFORMS, Channel, Platform, check_lang, get_platform
from reclaim.takedown.tracking import State, reported_item_ids, save_draft

ENV = Environment(loader=PackageLoader("reclaim.takedown", "templates"), undefined=StrictUndefined,
                  trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True, autoescape=False)


class Capacity(StrEnum):
    VICTIM = "victim"  # the person depicted
    REPRESENTATIVE = "representative"  # a support centre, lawyer or officer acting for them


class Selection(StrEnum):
    CONFIRMED = "confirmed"  # reviewed and confirmed items only (the default: an officer looked)
    MATCHED = "matched"  # every matched item not rejected by a reviewer


class Kind(StrEnum):
    INITIAL = "initial"
    ESCALATION = "escalation"  # still up after the deadline
    REUPLOAD = "reupload"  # a confirmed item found again


@dataclass(frozen=True)
class Requester:
    name: str
    email: str
    organisation: str = ""
    phone: str = ""
    capacity: Capacity = Capacity.REPRESENTATIVE

    def __post_init__(self) -> None:
        for name in ("name", "email", "organisation", "phone"):
            object.__setattr__(self, name, one_line(getattr(self, name)))
        if not self.name.strip() or "@" not in self.email:
            raise UserError(f"a notice needs the requester's name and e-mail (got {self.name!r}, {self.email!r})")


@dataclass(frozen=True)
class DraftSpec:
    """What the officer chooses for a notice; stored with the request so follow-ups render the same way."""

    platform: str
    lang: str
    requester: Requester
    reference: str = ""  # the case reference printed on the notice (default: the case name)
    recipient: str = ""  # e-mail address (default: the platform's)
    selection: Selection = Selection.CONFIRMED
    deadline_hours: int | None = None
    victim_consent: bool = False
    locations: Mapping[str, str] = field(default_factory=dict)  # item locator -> URL where it is online

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "locations": dict(self.locations)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DraftSpec:
        return cls(**{**data, "requester": Requester(**data["requester"]), "selection": Selection(data["selection"])})


@dataclass(frozen=True)
class NoticeItem:
    item_id: int
    locator: str
    location: str
    sha256: str | None
    pdq: str | None
    found_at: str
    posted_at: str | None
    chat: str | None
    poster: str | None
    reference: str | None  # the source's own id (telegram:<chat>/<message>); never a local path: it can name people


def parse_locations(lines: Iterable[str]) -> dict[str, str]:
    """``LOCATOR=URL`` lines (blank lines skipped) -> {locator: URL}: where each item is online."""
    found = {}
    for line in (raw.strip() for raw in lines):
        cut = line.find("=http")
        if not line:
            continue
        if cut <= 0:
            raise UserError(f"a location must be LOCATOR=URL, got {line!r}")
        found[line[:cut].strip()] = line[cut + 1:].strip()
    return found


def draft_request(session: Session, case_name: str, spec: DraftSpec, *, kind: Kind = Kind.INITIAL,
                  parent: TakedownRequest | None = None, item_ids: set[int] | None = None,
                  actor: str = "reclaim") -> TakedownRequest:
    """Render, check and store a drafted request for the case's items on ``spec.platform``."""
    platform, lang = get_platform(spec.platform), check_lang(spec.lang)
    if kind is not Kind.INITIAL and parent is None:
        raise UserError(f"a {kind} notice follows up an earlier request; none was given")
    if platform.name == "support_center" and not spec.victim_consent:
        raise UserError("a referral to the support center needs the victim's consent (--victim-consent)")
    case = get_case(session, case_name)
    items = _items(session, case, spec, item_ids)
    here = [i for i in items if platform.serves(i.location)]
    if kind is Kind.INITIAL:
        done = reported_item_ids(session, case.id, platform.name)
        fresh = [i for i in here if i.item_id not in done]
    else:
        fresh = here
    if not fresh:
        raise UserError(f"case {case_name}: none of its {len(items)} {spec.selection} items is left to report to "
                        f"{platform.name} ({len(items) - len(here)} are elsewhere, {len(here) - len(fresh)} "
                        "already reported)")
    hours = spec.deadline_hours or platform.deadline_hours
    context = {
        "kind": kind.value, "reference": one_line(spec.reference or case_name), "requester": spec.requester,
        "items": fresh,
        "laws": platform.laws, "deadline_hours": hours, "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "parent": _parent(parent), "prior": _prior(session, case.id, lang),
    }
    subject, body = render_notice(platform, lang, context)
    request = TakedownRequest(
        kind=kind.value, platform=platform.name, lang=lang, channel=platform.channel.value,
        recipient=one_line(spec.recipient) or _default_recipient(platform, fresh), subject=subject, body=body,
        body_sha256=sha256(notice_text(subject, body).encode()).hexdigest(), spec=spec.to_json(),
        deadline_hours=hours, parent_id=parent.id if parent else None,
    )
    rows = [TakedownItem(item_id=i.item_id, location=i.location, sha256=i.sha256) for i in fresh]
    return save_draft(session, case, request, rows, actor)


def render_notice(platform: Platform, lang: str, context: dict[str, Any]) -> tuple[str, str]:
    """(subject, body); raises IntegrityError when the template left out a required field."""
    name = f"{platform.name}/{lang}.txt.j2"
    text = ENV.get_template(name).render(**context)
    missing = missing_fields(platform, lang, text, context)
    if missing:
        raise IntegrityError(f"template {name}: the notice lacks required fields: {', '.join(missing)}")
    subject, _, body = text.partition("\n")
    return subject.strip(), body.strip("\n") + "\n"


def missing_fields(platform: Platform, lang: str, text: str, context: dict[str, Any]) -> list[str]:
    """The platform's required fields not found in ``text``, each looked for in the wording the templates use."""
    common = ENV.get_template(f"_common/{lang}.txt.j2").module
    flat = _flat(text)
    return [f for f in platform.fields if not all(_flat(str(n)) in flat for n in _needles(f, common, context))]


def _needles(name: str, c: Any, ctx: dict[str, Any]) -> list[str]:
    items: list[NoticeItem] = ctx["items"]
    requester: Requester = ctx["requester"]
    needles: dict[str, Callable[[], list[str]]] = {
        "reference": lambda: [ctx["reference"]],
        "locations": lambda: [i.location for i in items],
        "sha256": lambda: [i.sha256 for i in items if i.sha256],
        "found_at": lambda: [i.found_at for i in items],
        "requester": lambda: [requester.name, requester.email],
        "capacity": lambda: [c.capacity(requester)],
        "signature": lambda: [c.signature(requester, ctx["date"])],
        "good_faith": lambda: [c.good_faith()],
        "accuracy": lambda: [c.accuracy()],
        "explanation": lambda: [c.law(key) for key in ctx["laws"]],
        "deadline": lambda: [c.deadline(ctx["deadline_hours"])],
        "no_media": lambda: [c.no_media()],
        "victim_consent": lambda: [c.victim_consent()],
        "prior_requests": lambda: [c.prior_requests(ctx["prior"])],
    }
    return needles[name]()


def notice_text(subject: str, body: str) -> str:
    """The text an officer signs off: what the .txt holds and what the e-mail says."""
    return f"{subject}\n\n{body}"


def to_email(request: TakedownRequest) -> EmailMessage:
    """The request as a plain-text e-mail: no attachment, ever (the notice identifies items by hash)."""
    if request.channel != Channel.EMAIL.value or not request.recipient:
        raise UserError(f"request #{request.id} ({request.platform}) has no e-mail recipient; "
                        "draft it again with --to ADDRESS")
    requester = DraftSpec.from_json(request.spec).requester
    message = EmailMessage(policy=SMTP)
    message["From"] = formataddr((one_line(requester.name), one_line(requester.email)))
    message["To"] = one_line(request.recipient)
    message["Subject"] = one_line(request.subject)
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = make_msgid(f"takedown-{request.id}", requester.email.rpartition("@")[2])
    message.set_content(request.body, charset="utf-8")
    return message


def _items(session: Session, case: Case, spec: DraftSpec, item_ids: set[int] | None) -> list[NoticeItem]:
    decisions = current_decisions(session, case)
    where = Item.id.in_(item_ids) if item_ids is not None else Item.case_id == case.id  # re-uploads: any case
    query = select(Item).where(where).options(selectinload(Item.signals)).order_by(Item.locator)
    matches = matches_by_item(session, where)
    chosen = []
    for item in session.scalars(query):
        decision = decisions[item.id].decision if item.id in decisions else None
        if item_ids is not None:
            keep = item.id in item_ids
        elif spec.selection is Selection.CONFIRMED:
            keep = decision == "confirmed"
        else:
            keep = decision != "not_a_match" and is_matched(matches.get(item.id, []))  # known images and faces
        if keep:
            chosen.append(_notice_item(item, spec.locations))
    return chosen


def location_of(item: Item, locations: Mapping[str, str]) -> str:
    """Where the item is online: as the officer gave it, else its source's link or URL, else its locator."""
    ctx = item.context or {}
    return locations.get(item.locator) or ctx.get("link") or ctx.get("url") or item.locator


def _notice_item(item: Item, locations: Mapping[str, str]) -> NoticeItem:
    ctx = item.context or {}
    location = location_of(item, locations)
    found = item.scanned_at.replace(tzinfo=item.scanned_at.tzinfo or UTC).astimezone(UTC)
    return NoticeItem(item.id, one_line(item.locator), one_line(location), item.sha256,
                      next((s.value for s in item.signals if s.signal == "pdq"), None),
                      found.strftime("%Y-%m-%dT%H:%M:%SZ"), _optional_line(ctx.get("posted_at")),
                      _optional_line(ctx.get("chat_name")), _optional_line(ctx.get("poster")),
                      _optional_line(_reference(item.locator, location)))


def _reference(locator: str, location: str) -> str | None:
    if locator == location or not (locator.startswith("telegram:") or "://" in locator):
        return None
    return locator


def _default_recipient(platform: Platform, items: list[NoticeItem]) -> str:
    """The platform's address; for a web site, its RFC 2142 abuse@ mailbox when every item is on one host."""
    if platform.address and platform.channel is Channel.EMAIL:
        return platform.address
    hosts = {(urlsplit(i.location).hostname or "").removeprefix("www.") for i in items}
    if platform.name == "generic" and len(hosts) == 1 and "" not in hosts:
        return f"abuse@{hosts.pop()}"
    return ""


def _parent(parent: TakedownRequest | None) -> dict[str, Any]:
    if parent is None:
        return {}
    sent = parent.sent_at.strftime("%Y-%m-%d") if parent.sent_at else "-"
    return {"id": parent.id, "sent": sent, "reference": one_line(parent.reference or "")}


def _prior(session: Session, case_id: int, lang: str) -> list[dict[str, Any]]:
    requests = session.scalars(
        select(TakedownRequest).where(TakedownRequest.case_id == case_id, TakedownRequest.state != State.DRAFTED.value)
        .options(selectinload(TakedownRequest.items)).order_by(TakedownRequest.id))
    return [{"id": r.id, "title": PLATFORMS[r.platform].title[lang], "state": r.state, "items": len(r.items),
             "sent": r.sent_at.strftime("%Y-%m-%d") if r.sent_at else ""} for r in requests]


def _flat(text: str) -> str:
    return " ".join(text.split())


# Bidirectional overrides and isolates: they reorder what a reader sees without changing the text.
_BIDI = frozenset("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def one_line(value: object) -> str:
    """Untrusted text for a notice line or an e-mail header: control, line-separator and bidi characters
    removed (a line break becomes a space), runs of spaces made one."""
    text = "" if value is None else str(value)
    kept = "".join(" " if unicodedata.category(ch) in ("Cc", "Zl", "Zp") else ch for ch in text if ch not in _BIDI)
    return " ".join(kept.split())


def _optional_line(value: object) -> str | None:
    return None if value is None else one_line(value) or None
