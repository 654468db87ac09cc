"""Platforms' API keys: shown once when made, stored only as a SHA-256, scoped to what the platform may do.

Scopes: ``lookup`` (match hashes and media, read banks), ``bank:write`` (add and withdraw content in any
bank) or ``bank:write:<bank>`` (in that bank only).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from reclaim.errors import AlreadyExists, NotFound, UserError
from reclaim.store.models import ApiKey, utcnow

PREFIX = "rk_"
_SCOPE = re.compile(r"^(lookup|bank:write(:[^\s:]+)?)$")


class Scope:
    LOOKUP = "lookup"
    BANK_WRITE = "bank:write"

    @staticmethod
    def allows_bank_write(scopes: Iterable[str], bank: str) -> bool:
        return any(s in (Scope.BANK_WRITE, f"{Scope.BANK_WRITE}:{bank}") for s in scopes)


def key_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_api_key(session: Session, name: str, scopes: Iterable[str], *, created_by: str) -> str:
    """Store a new key's digest and return the key itself: the only time anyone sees it."""
    scopes = sorted(set(scopes))
    bad = [s for s in scopes if not _SCOPE.match(s)]
    if bad or not scopes:
        raise UserError(f"bad scope {bad[0]!r}: use lookup, bank:write or bank:write:<bank>" if bad
                        else "an API key needs at least one --scope")
    if session.scalar(select(ApiKey.id).where(ApiKey.name == name)) is not None:
        raise AlreadyExists(f"API key {name!r} already exists")
    key = PREFIX + secrets.token_urlsafe(32)
    session.add(ApiKey(name=name, key_sha256=key_digest(key), scopes=scopes, created_by=created_by))
    session.flush()
    return key


def find_api_key(session: Session, key: str) -> ApiKey | None:
    """The live key row for a presented key, or None (unknown or revoked)."""
    if not key.startswith(PREFIX):
        return None
    row = session.scalar(select(ApiKey).where(ApiKey.key_sha256 == key_digest(key)))
    return row if row is not None and row.revoked_at is None else None


def list_api_keys(session: Session) -> list[ApiKey]:
    return list(session.scalars(select(ApiKey).order_by(ApiKey.name)))


def revoke_api_key(session: Session, name: str) -> None:
    row = session.scalar(select(ApiKey).where(ApiKey.name == name))
    if row is None:
        raise NotFound(f"API key {name!r} not found")
    row.revoked_at = row.revoked_at or utcnow()
