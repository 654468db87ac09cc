"""``reclaim user ...``, ``reclaim apikey ...`` and ``reclaim audit``: who may use the server, and what they read."""

from __future__ import annotations

import os
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table
from sqlalchemy import select

from reclaim.accounts import (
    Role,
    access_log,
    add_user,
    create_api_key,
    list_api_keys,
    list_users,
    revoke_api_key,
    set_password,
)
from reclaim.accounts.users import disable_user
from reclaim.cli.output import out
from reclaim.identities.audit import current_actor
from reclaim.store import open_store
from reclaim.store.models import Case

PASSWORD_ENV = "RECLAIM_USER_PASSWORD"
users = typer.Typer(help="People who sign in to the web UI: admins, case officers, victims.", no_args_is_help=True)
apikeys = typer.Typer(help="Platforms' API keys for /m/lookup and bank changes.", no_args_is_help=True)
NameArg = Annotated[str, typer.Argument(help="User name (what they type to sign in).")]


def _password(name: str) -> str:
    """From RECLAIM_USER_PASSWORD, else asked twice at the terminal: never on the command line."""
    return os.environ.get(PASSWORD_ENV) or typer.prompt(f"Password for {name}", hide_input=True,
                                                        confirmation_prompt=True)


@users.command("add")
def user_add(
    name: NameArg,
    role: Annotated[Role, typer.Option(help="admin: everything; officer: cases, review, evidence, takedowns, "
                                            "banks; victim: their own case only.")],
    case: Annotated[str | None, typer.Option(help="A victim's own case (required for victims, only for them).")]
    = None,
) -> None:
    """Add a user; the password comes from RECLAIM_USER_PASSWORD or is asked for (stored as Argon2id)."""
    with open_store() as store, store.session() as session:
        add_user(session, name, _password(name), role, case=case)
    out.print(f"added {role.value} {escape(name)}" + (f" for case {escape(case)}" if case else ""))


@users.command("list")
def user_list() -> None:
    """Every user, their role and case."""
    table = Table("name", "role", "case", "created", "disabled")
    with open_store() as store, store.session() as session:
        cases = {row.id: row.name for row in session.execute(select(Case.id, Case.name))}
        for user in list_users(session):
            table.add_row(escape(user.name), user.role, escape(cases.get(user.case_id, "")),
                          f"{user.created_at:%Y-%m-%d}", f"{user.disabled_at:%Y-%m-%d}" if user.disabled_at else "")
    out.print(table)


@users.command("password")
def user_password(name: NameArg) -> None:
    """Set a new password (from RECLAIM_USER_PASSWORD or asked for)."""
    with open_store() as store, store.session() as session:
        set_password(session, name, _password(name))
    out.print(f"password changed for {escape(name)}")


@users.command("disable")
def user_disable(name: NameArg) -> None:
    """Stop a user signing in; their open sessions stop working at once."""
    with open_store() as store, store.session() as session:
        disable_user(session, name)
    out.print(f"disabled {escape(name)}")


@apikeys.command("create")
def apikey_create(
    name: Annotated[str, typer.Option(help="Who the key is for, e.g. the platform's name.")],
    scope: Annotated[list[str], typer.Option(help="lookup, bank:write (every bank) or bank:write:<bank>; "
                                                  "repeat for several.")],
) -> None:
    """Make a key and print it alone on the last line: it is shown once and stored only as a hash."""
    with open_store() as store, store.session() as session:
        key = create_api_key(session, name, scope, created_by=current_actor())
    out.print(f"API key {escape(name)} with scopes {', '.join(sorted(set(scope)))}; store it now, it is not kept:")
    print(key)


@apikeys.command("list")
def apikey_list() -> None:
    """Every key's name, scopes and state (never the key itself)."""
    table = Table("name", "scopes", "created by", "created", "revoked")
    with open_store() as store, store.session() as session:
        for row in list_api_keys(session):
            table.add_row(escape(row.name), " ".join(row.scopes), escape(row.created_by),
                          f"{row.created_at:%Y-%m-%d}", f"{row.revoked_at:%Y-%m-%d}" if row.revoked_at else "")
    out.print(table)


@apikeys.command("revoke")
def apikey_revoke(name: Annotated[str, typer.Argument(help="The key's name.")]) -> None:
    """Revoke a key; every worker refuses it within a second."""
    with open_store() as store, store.session() as session:
        revoke_api_key(session, name)
    out.print(f"revoked {escape(name)}")


def audit_command(
    limit: Annotated[int, typer.Option(min=1, help="How many entries, newest first.")] = 50,
    actor: Annotated[str | None, typer.Option(help='Only this actor, e.g. "user:kim" or "key:platform".')] = None,
) -> None:
    """The server's access log: sign-ins, refusals, and every read of media or faces."""
    table = Table("at (UTC)", "actor", "action", "target", "client", "outcome")
    with open_store() as store, store.session() as session:
        for entry in access_log(session, limit, actor=actor):
            table.add_row(f"{entry.at:%Y-%m-%d %H:%M:%S}", escape(entry.actor), entry.action, escape(entry.target),
                          entry.client, entry.outcome)
    out.print(table)
