"""Browser sessions: a random cookie token (stored as its SHA-256) and the session's CSRF token."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from reclaim.store.models import User, WebSession, utcnow

LIFETIME = timedelta(hours=12)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(session: Session, user: User) -> str:
    """A new session for ``user``; returns the cookie token (expired sessions are swept here)."""
    now = utcnow()
    session.execute(delete(WebSession).where(WebSession.expires_at < now))
    token = secrets.token_urlsafe(32)
    session.add(WebSession(token_sha256=_digest(token), user_id=user.id, csrf_token=secrets.token_urlsafe(32),
                           created_at=now, expires_at=now + LIFETIME))
    session.flush()
    return token


def find_session(session: Session, token: str) -> tuple[User, WebSession] | None:
    """The signed-in user and their session, or None when the token is unknown, expired or the user disabled."""
    found = session.execute(
        select(User, WebSession).join(WebSession, WebSession.user_id == User.id)
        .where(WebSession.token_sha256 == _digest(token))).first()
    if found is None:
        return None
    user, web = found
    expires = web.expires_at if web.expires_at.tzinfo else web.expires_at.replace(tzinfo=utcnow().tzinfo)
    if expires < utcnow() or user.disabled_at is not None:
        return None
    return user, web


def end_session(session: Session, token: str) -> None:
    session.execute(delete(WebSession).where(WebSession.token_sha256 == _digest(token)))
