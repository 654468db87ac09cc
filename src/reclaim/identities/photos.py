"""Where enrolled people's own photos are kept: an encrypted vault under RECLAIM_HOME, never the database.

The photos are the most sensitive thing Reclaim holds about a victim (DESIGN.md, privacy rules), so they are
stored like case originals: AES-256-GCM under a key from a passphrase (``RECLAIM_IDENTITY_PASSPHRASE``, or
asked at the terminal), named by their sha256. Removing an identity erases its photos' keys and ciphertexts
at once, which needs no passphrase: a withdrawal never waits for one.
"""

from __future__ import annotations

import os
from pathlib import Path

from reclaim.errors import UserError
from reclaim.store.db import reclaim_home
from reclaim.vault import KdfParams, Vault

PASSPHRASE_ENV = "RECLAIM_IDENTITY_PASSPHRASE"
MIN_PASSPHRASE = 8


def vault_root(home: Path | None = None) -> Path:
    return (home or reclaim_home()) / "identities" / "vault"


def open_photos(passphrase: str | None, *, home: Path | None = None, params: KdfParams | None = None) -> Vault:
    """The photo vault, made on first use; a wrong passphrase raises WrongPassphrase and changes nothing."""
    if passphrase is None:
        raise UserError(f"enrolled photos are encrypted: give the passphrase (${PASSPHRASE_ENV}, or asked)")
    root = vault_root(home)
    if (root / "vault.json").exists():
        return Vault.open(root, passphrase)
    if len(passphrase) < MIN_PASSPHRASE:
        raise UserError(f"the passphrase for enrolled photos must have at least {MIN_PASSPHRASE} characters")
    return Vault.create(root, passphrase, params=params)


def passphrase_from_env() -> str | None:
    return os.environ.get(PASSPHRASE_ENV)


def erase_photos(shas: list[str], *, home: Path | None = None) -> int:
    """Erase these photos from the vault (no key needed); returns how many were there."""
    root = vault_root(home)
    if not (root / "vault.json").exists():
        return 0
    return sum(Vault.erase(root, sha) for sha in shas)
