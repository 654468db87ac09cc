"""Sign-ins for ``reclaim demo --serve``: an officer and the demo case's victim, with fresh random passwords."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import select

from reclaim.accounts import Role, add_user, set_password
from reclaim.store import Store
from reclaim.store.models import User


@dataclass(frozen=True)
class DemoLogin:
    name: str
    role: str
    password: str


def demo_logins(store: Store, case: str) -> list[DemoLogin]:
    """An officer and a victim of ``case``; run again, the same users get new passwords (printed once)."""
    logins = [DemoLogin("officer", Role.OFFICER, secrets.token_urlsafe(12)),
              DemoLogin("victim", Role.VICTIM, secrets.token_urlsafe(12))]
    with store.session() as session:
        for login in logins:
            if session.scalar(select(User.id).where(User.name == login.name)) is None:
                add_user(session, login.name, login.password, login.role,
                         case=case if login.role == Role.VICTIM else None)
            else:
                set_password(session, login.name, login.password)
    return logins
