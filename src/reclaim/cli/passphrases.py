"""Passphrases for the CLI: from an environment variable, else asked at the terminal, never on the command line."""

from __future__ import annotations

import os

import typer

from reclaim.errors import UserError
from reclaim.identities.photos import PASSPHRASE_ENV, open_photos, passphrase_from_env, vault_root
from reclaim.vault import Vault

MIN_CHARS = 8


def passphrase(env: str, what: str, *, confirm: bool) -> str:
    value = os.environ.get(env)
    if value is None:
        value = typer.prompt(f"Passphrase for {what}", hide_input=True, confirmation_prompt=confirm)
    if len(value) < MIN_CHARS:
        raise UserError(f"the passphrase for {what} must have at least {MIN_CHARS} characters")
    return value


def photos_vault() -> Vault:
    """The enrolled photos' vault, asking for its passphrase (twice when it is being made)."""
    new = not (vault_root() / "vault.json").exists()
    return open_photos(passphrase(PASSPHRASE_ENV, "enrolled people's photos", confirm=new))


def photos_vault_if_given() -> Vault | None:
    """The vault when its passphrase is in the environment (for exports, which must not stop to ask)."""
    given = passphrase_from_env()
    return open_photos(given) if given and (vault_root() / "vault.json").exists() else None
