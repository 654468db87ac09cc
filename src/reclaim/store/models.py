"""Database tables (SQLAlchemy 2). Every stored hash carries its signal name and version.

banks ─< bank_content ─< content_signals          (HMA's bank / content / signal shape)
cases ─< scans
cases ─< items ─< item_signals
             ├─< matches >── content_signals
             ├─< face_matches              (identity copied by name)
             └─< reviews
identities ─< identity_sources               (consented photos: bytes, descriptor, box)
face_audit                                   (every face query: who, what, against whom)
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Bank(Base):
    __tablename__ = "banks"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    pdq_threshold: Mapped[int] = mapped_column(Integer, default=31)
    pdq_min_quality: Mapped[int] = mapped_column(Integer, default=50)
    # When the keypoint stage searches this bank: always | unmatched (PDQ found nothing) | never; NULL: by kind.
    keypoints: Mapped[str | None] = mapped_column(String(20), nullable=True)
    # HMA's coin flip: a lookup sees this bank when a draw in [0, 1) is at most the ratio (1.0: always).
    matching_enabled_ratio: Mapped[float] = mapped_column(Float, default=1.0, server_default="1.0")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    contents: Mapped[list[BankContent]] = relationship(back_populates="bank", cascade="all, delete-orphan")


class BankContent(Base):
    """One piece of content in a bank (a file or an imported row), identified by ``content_id``."""

    __tablename__ = "bank_content"
    __table_args__ = (
        UniqueConstraint("bank_id", "content_id"),
        # only content switched off for HMA: each server worker polls it (server/switches.py)
        Index("ix_bank_content_switched", "id", "disable_until_ts", sqlite_where=text("disable_until_ts != 1"),
              postgresql_where=text("disable_until_ts != 1")),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("banks.id", ondelete="CASCADE"), index=True)
    content_id: Mapped[str] = mapped_column(String(500))
    note: Mapped[str] = mapped_column(Text, default="")
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True, index=True)
    # HMA's: 1 enabled, 0 disabled, else not matched by /m/lookup before this Unix time; the row id is HMA's id.
    disable_until_ts: Mapped[int] = mapped_column(BigInteger, default=1, server_default="1")
    hma_metadata: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)  # HMA's content_uri and json
    bank: Mapped[Bank] = relationship(back_populates="contents")
    signals: Mapped[list[ContentSignal]] = relationship(back_populates="content", cascade="all, delete-orphan")


class HmaSignalType(Base):
    """A signal type's ``enabled_ratio`` set through HMA's ``PUT /c/signal_type/NAME`` (absent: 1.0)."""

    __tablename__ = "hma_signal_types"
    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    enabled_ratio: Mapped[float] = mapped_column(Float)


class ContentSignal(Base):
    __tablename__ = "content_signals"
    __table_args__ = (Index("ix_content_signals_signal_value", "signal", "value"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    content_pk: Mapped[int] = mapped_column(ForeignKey("bank_content.id", ondelete="CASCADE"), index=True)
    signal: Mapped[str] = mapped_column(String(50))
    version: Mapped[str] = mapped_column(String(50))
    value: Mapped[str] = mapped_column(String(200))
    quality: Mapped[int | None] = mapped_column(Integer, nullable=True)
    blob: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)  # a keypoint set (~36-72 kB)
    content: Mapped[BankContent] = relationship(back_populates="signals")


class Case(Base):
    __tablename__ = "cases"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CaseVictim(Base):
    """A person a case is about: an enrolled identity (consented), linked so face matches are tied to the case."""

    __tablename__ = "case_victims"
    __table_args__ = (UniqueConstraint("case_id", "identity_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    identity_id: Mapped[int] = mapped_column(ForeignKey("identities.id", ondelete="CASCADE"), index=True)
    added_by: Mapped[str] = mapped_column(String(200))
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CaseTerm(Base):
    """A word that marks a message as about the case's victim: a name, handle, school or phone number."""

    __tablename__ = "case_terms"
    __table_args__ = (UniqueConstraint("case_id", "kind", "value"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    value: Mapped[str] = mapped_column(String(500))
    added_by: Mapped[str] = mapped_column(String(200))
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Review(Base):
    """One review decision on an item. Append-only: the newest row per item is the current decision."""

    __tablename__ = "reviews"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    decision: Mapped[str] = mapped_column(String(30))
    reviewer: Mapped[str] = mapped_column(String(200))
    note: Mapped[str] = mapped_column(Text, default="")
    decided_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Scan(Base):
    __tablename__ = "scans"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    target: Mapped[str] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Item(Base):
    """One file (or message attachment) a scan looked at; ``status`` is ``hashed`` or ``failed``."""

    __tablename__ = "items"
    __table_args__ = (UniqueConstraint("case_id", "locator"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    scan_id: Mapped[int] = mapped_column(ForeignKey("scans.id", ondelete="CASCADE"), index=True)
    locator: Mapped[str] = mapped_column(Text)
    context: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # where/when/who from the source
    size: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    mtime_ns: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    status: Mapped[str] = mapped_column(String(20))
    error_code: Mapped[str | None] = mapped_column(String(50), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    sha256: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    media_format: Mapped[str | None] = mapped_column(String(20), nullable=True)
    width: Mapped[int | None] = mapped_column(Integer, nullable=True)
    height: Mapped[int | None] = mapped_column(Integer, nullable=True)
    scanned_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    signals: Mapped[list[ItemSignal]] = relationship(back_populates="item", cascade="all, delete-orphan")
    matches: Mapped[list[MatchRow]] = relationship(back_populates="item", cascade="all, delete-orphan")


class ItemSignal(Base):
    __tablename__ = "item_signals"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    signal: Mapped[str] = mapped_column(String(50))
    version: Mapped[str] = mapped_column(String(50))
    value: Mapped[str] = mapped_column(String(400))  # a face value is ~280 characters
    quality: Mapped[int | None] = mapped_column(Integer, nullable=True)
    blob: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)  # a keypoint set
    item: Mapped[Item] = relationship(back_populates="signals")


class MatchRow(Base):
    """An item that matched a bank entry; bank and content id are copied so results outlive edits."""

    __tablename__ = "matches"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    content_signal_id: Mapped[int | None] = mapped_column(
        ForeignKey("content_signals.id", ondelete="SET NULL"), nullable=True
    )
    bank: Mapped[str] = mapped_column(String(200))
    bank_kind: Mapped[str] = mapped_column(String(20))
    content_id: Mapped[str] = mapped_column(String(500))
    signal: Mapped[str] = mapped_column(String(50))
    signal_version: Mapped[str] = mapped_column(String(50))
    distance: Mapped[float] = mapped_column(Float)
    frame_time: Mapped[float | None] = mapped_column(Float, nullable=True)  # seconds into the video that matched
    # a keypoint match's inliers and transform
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    suppressed: Mapped[bool] = mapped_column(Boolean, default=False)
    matched_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    item: Mapped[Item] = relationship(back_populates="matches")


class Identity(Base):
    """A person enrolled for face search, with the consent it rests on (who recorded it, for whom, when)."""

    __tablename__ = "identities"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    consent: Mapped[str] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(200))
    on_behalf_of: Mapped[str | None] = mapped_column(String(200), nullable=True)  # None: the person themself
    enrolled_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    sources: Mapped[list[IdentitySource]] = relationship(back_populates="identity", cascade="all, delete-orphan")


class IdentitySource(Base):
    """One of the person's own photos: the face descriptor to search with, and the photo to attribute to."""

    __tablename__ = "identity_sources"
    __table_args__ = (UniqueConstraint("identity_id", "sha256"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    identity_id: Mapped[int] = mapped_column(ForeignKey("identities.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(500))
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)  # None: in the photo vault (by sha256)
    descriptor: Mapped[bytes] = mapped_column(LargeBinary)  # 128 float32
    box: Mapped[list[int]] = mapped_column(JSON)  # x, y, w, h of the enrolled face
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    identity: Mapped[Identity] = relationship(back_populates="sources")


class FaceMatchRow(Base):
    """A face in an item within the same-person distance of an enrolled identity."""

    __tablename__ = "face_matches"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    identity: Mapped[str] = mapped_column(String(200))
    signal_version: Mapped[str] = mapped_column(String(50))
    distance: Mapped[float] = mapped_column(Float)
    confidence: Mapped[float] = mapped_column(Float)  # identities.face_score(distance): an uncalibrated score
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)  # within the stricter auto-flag distance
    box: Mapped[list[int]] = mapped_column(JSON)
    # Videos and animations: the best frame's time (seconds) and the span the identity shows in; None for photos.
    frame_time: Mapped[float | None] = mapped_column(Float, nullable=True)
    span_start: Mapped[float | None] = mapped_column(Float, nullable=True)
    span_end: Mapped[float | None] = mapped_column(Float, nullable=True)
    matched_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class FaceAudit(Base):
    """Append-only: every face query, refusal, enrolment and removal, with who asked."""

    __tablename__ = "face_audit"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(30))
    query: Mapped[str] = mapped_column(Text)  # the file, locator or identity the action was about
    compared: Mapped[list[str]] = mapped_column(JSON)  # identity names the faces were compared with
    faces: Mapped[int] = mapped_column(Integer, default=0)
    matched: Mapped[list[str]] = mapped_column(JSON)  # identity names within the same-person distance
    outcome: Mapped[str] = mapped_column(String(30), default="ok")  # ok, refused


class TakedownRequest(Base):
    """One removal request (a notice to one platform in one language) and where it stands.

    The drafted text is kept as sent, with its sha256, so the record shows exactly what was asked.
    """

    __tablename__ = "takedown_requests"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("takedown_requests.id", ondelete="SET NULL"), nullable=True
    )
    kind: Mapped[str] = mapped_column(String(20))  # initial, escalation, reupload
    platform: Mapped[str] = mapped_column(String(40))
    lang: Mapped[str] = mapped_column(String(10))
    channel: Mapped[str] = mapped_column(String(20))  # email or form
    recipient: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(20), index=True)
    subject: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    body_sha256: Mapped[str] = mapped_column(String(64))
    spec: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # requester, case reference: enough to re-render
    deadline_hours: Mapped[int] = mapped_column(Integer)
    reference: Mapped[str] = mapped_column(Text, default="")  # the platform's ticket number, once known
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    deadline_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    items: Mapped[list[TakedownItem]] = relationship(back_populates="request", cascade="all, delete-orphan")


class TakedownItem(Base):
    """One reported item of a request: its location as reported, and whether it is still up."""

    __tablename__ = "takedown_items"
    __table_args__ = (UniqueConstraint("request_id", "item_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("takedown_requests.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    location: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="reported")  # reported, up, removed, unreachable
    checked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    removed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    request: Mapped[TakedownRequest] = relationship(back_populates="items")


class TakedownEvent(Base):
    """Append-only history of a case's takedown work: drafts, sign-offs, state changes, checks, re-uploads."""

    __tablename__ = "takedown_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    request_id: Mapped[int | None] = mapped_column(
        ForeignKey("takedown_requests.id", ondelete="CASCADE"), nullable=True, index=True
    )
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(50))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class User(Base):
    """A person who signs in to the web UI: an admin, a case officer, or a victim who sees only their case."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))  # Argon2id, in its own encoded form
    role: Mapped[str] = mapped_column(String(20))  # admin, officer, victim
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="SET NULL"), nullable=True)
    # a victim's own face enrolment, by id: never found by name, which another person's identity may share
    identity_id: Mapped[int | None] = mapped_column(ForeignKey("identities.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    disabled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class ApiKey(Base):
    """A platform's key. Only the SHA-256 of the key is stored: it is random, so a slow hash adds nothing."""

    __tablename__ = "api_keys"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    key_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[list[str]] = mapped_column(JSON)  # "lookup", "bank:write" (all banks), "bank:write:<name>"
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class WebSession(Base):
    """A signed-in browser: the cookie holds a random token, the table its SHA-256 and the CSRF token."""

    __tablename__ = "web_sessions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AccessAudit(Base):
    """Append-only: every request that read media or faces, every sign-in and refused access, with who asked."""

    __tablename__ = "access_audit"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(200))  # "user:<name>", "key:<name>" or "anonymous"
    action: Mapped[str] = mapped_column(String(40))
    target: Mapped[str] = mapped_column(Text)
    client: Mapped[str] = mapped_column(String(100), default="")
    outcome: Mapped[str] = mapped_column(String(30), default="ok")


class SelfReport(Base):
    """A person's own report from ``/self-report``: hashes computed on their device, sent with no account.

    Its hashes are bank content ``<content_prefix>/<n>`` in the ``self-report`` bank (a random prefix, so partners
    who see matched content ids never learn the case number). The PIN is stored only as Argon2id;
    nothing identifying is asked for or kept (not even the address it came from). Withdrawal keeps the row.
    """

    __tablename__ = "self_reports"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    content_prefix: Mapped[str] = mapped_column(String(40), unique=True)
    pin_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    lookup_matches: Mapped[int] = mapped_column(Integer, default=0)  # partner lookups that matched its hashes
    last_matched_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="SET NULL"), nullable=True,
                                                index=True)  # attached by an officer
    attached_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    attached_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
