"""Users of the web UI. A victim's account is tied to one case and sees nothing else."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from reclaim.accounts.passwords import hash_password, needs_rehash, verify_password
from reclaim.errors import AlreadyExists, NotFound, UserError
from reclaim.store.models import Case, User, WebSession, utcnow


class Role(StrEnum):
    ADMIN = "admin"  # everything, including accounts and keys
    OFFICER = "officer"  # cases, review, evidence, takedowns, banks
    VICTIM = "victim"  # their own case: what was found, removals, their photos


def add_user(session: Session, name: str, password: str, role: Role | str, *, case: str | None = None) -> User:
    """A new user; a victim must name their case, staff must not."""
    role = Role(role)
    if not name.strip():
        raise UserError("a user needs a name")
    if session.scalar(select(User.id).where(User.name == name)) is not None:
        raise AlreadyExists(f"user {name!r} already exists")
    if (role is Role.VICTIM) != (case is not None):
        raise UserError("a victim's account needs --case (their own case), and only a victim's")
    case_id = None
    if case is not None:
        case_id = session.scalar(select(Case.id).where(Case.name == case))
        if case_id is None:
            raise NotFound(f"case {case!r} not found")
    user = User(name=name, password_hash=hash_password(password), role=role.value, case_id=case_id)
    session.add(user)
    session.flush()
    return user


def get_user(session: Session, name: str) -> User:
    user = session.scalar(select(User).where(User.name == name))
    if user is None:
        raise NotFound(f"user {name!r} not found")
    return user


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.name)))


def set_password(session: Session, name: str, password: str) -> None:
    """A new password ends every session the user has open: whoever knew the old one is signed out too."""
    user = get_user(session, name)
    user.password_hash = hash_password(password)
    session.execute(delete(WebSession).where(WebSession.user_id == user.id))


def disable_user(session: Session, name: str, at: datetime | None = None) -> None:
    get_user(session, name).disabled_at = at or utcnow()


def authenticate(session: Session, name: str, password: str) -> User | None:
    """The user when the password is right and the account is enabled; None otherwise (same time either way)."""
    user = session.scalar(select(User).where(User.name == name))
    if not verify_password(user.password_hash if user else None, password) or user is None:
        return None
    if user.disabled_at is not None:
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user
