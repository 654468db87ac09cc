"""Argon2id password hashes (argon2-cffi's defaults: RFC 9106's low-memory profile, 64 MiB, t=3, p=4)."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from reclaim.errors import UserError

MIN_LENGTH = 10
_HASHER = PasswordHasher()


@cache
def _dummy() -> str:
    """Checked when the user does not exist, so a wrong name takes as long as a wrong password; made on first
    use, not at import (an Argon2id hash costs every command that imports accounts ~0.1 s)."""
    return _HASHER.hash("reclaim-no-such-user")


def hash_password(password: str) -> str:
    if len(password) < MIN_LENGTH:
        raise UserError(f"password too short: use at least {MIN_LENGTH} characters")
    return _HASHER.hash(password)


def hash_pin(pin: str) -> str:
    """Argon2id of a machine-made secret (a self-report's PIN): random, so it needs no length rule."""
    return _HASHER.hash(pin)


def verify_password(encoded: str | None, password: str) -> bool:
    """True when ``password`` matches; ``encoded=None`` (no such user) spends the same time and says False."""
    dummy = _dummy()  # made before the check whoever asks first, so the first check's timing says nothing
    try:
        return _HASHER.verify(encoded or dummy, password) and encoded is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(encoded: str) -> bool:
    return _HASHER.check_needs_rehash(encoded)
