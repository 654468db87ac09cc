"""The investigator's Telegram sign-in, kept only inside an encrypted vault under RECLAIM_HOME.

A Telethon session string is a bearer credential (its auth key lets anyone act as the account), and the API
hash is a secret too, so both are stored as one JSON object in a vault of their own (AES-256-GCM, key from the
passphrase via Argon2id): ``telegram/vault/``. The only plain file, ``telegram/session.json``, names the vault
object (its sha256) and the account's numeric id and user name, never the phone, key or hash. Erasing removes
the object's key file first (``Vault.erase``), so a copy of the ciphertext left on disk stays unreadable.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from reclaim._files import atomic_write
from reclaim.errors import IntegrityError, NotFound, UserError
from reclaim.store.db import reclaim_home
from reclaim.vault import KdfParams, Vault

PASSPHRASE_ENV = "RECLAIM_TELEGRAM_PASSPHRASE"
ACTOR = "reclaim-telegram"


@dataclass(frozen=True)
class SignIn:
    """What ``reclaim telegram login`` keeps: the investigator's own API id/hash, session and account."""

    api_id: int
    api_hash: str
    session: str  # Telethon StringSession
    account_id: int
    account_name: str  # @username, or the display name when there is none

    def to_bytes(self) -> bytes:
        return json.dumps(asdict(self), sort_keys=True).encode()


def folder(home: Path | None = None) -> Path:
    return (home or reclaim_home()) / "telegram"


def _pointer(home: Path | None) -> Path:
    return folder(home) / "session.json"


def _vault(passphrase: str, home: Path | None, params: KdfParams | None) -> Vault:
    root = folder(home) / "vault"
    if (root / "vault.json").exists():
        return Vault.open(root, passphrase)
    return Vault.create(root, passphrase, params=params)


def save(sign_in: SignIn, passphrase: str, *, home: Path | None = None, params: KdfParams | None = None) -> None:
    """Store the sign-in encrypted; an earlier one is erased once the new one is safely written."""
    vault = _vault(passphrase, home, params)
    old = _read_pointer(home)
    sha = vault.put_bytes(sign_in.to_bytes())
    atomic_write(_pointer(home), json.dumps({"format": "reclaim-telegram-session", "version": 1, "object": sha,
                                             "account_id": sign_in.account_id,
                                             "account_name": sign_in.account_name}, indent=1).encode())
    if old and old.get("object") != sha:
        Vault.erase(vault.root, old["object"])


def load(passphrase: str, *, home: Path | None = None) -> SignIn:
    """The stored sign-in; NotFound before ``reclaim telegram login``, WrongPassphrase with a wrong passphrase."""
    pointer = _read_pointer(home)
    if pointer is None:
        raise NotFound("no Telegram sign-in is stored: run 'reclaim telegram login' first")
    vault = Vault.open(folder(home) / "vault", passphrase)
    raw = vault.get_bytes(pointer["object"], actor=ACTOR)
    try:
        return SignIn(**json.loads(raw))
    except (TypeError, ValueError) as exc:
        raise IntegrityError(f"{folder(home) / 'vault'}: the stored Telegram sign-in is unreadable ({exc})") from exc


def signed_in_as(home: Path | None = None) -> dict[str, Any] | None:
    """The account the stored sign-in belongs to (id and name, from the plain pointer), or None."""
    return _read_pointer(home)


def erase(home: Path | None = None) -> bool:
    """Erase the stored sign-in (no passphrase needed); False if there was none."""
    pointer = _read_pointer(home)
    if pointer is None:
        return False
    Vault.erase(folder(home) / "vault", pointer["object"])
    _pointer(home).unlink(missing_ok=True)
    return True


def _read_pointer(home: Path | None) -> dict[str, Any] | None:
    path = _pointer(home)
    if not path.is_file():
        return None
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(doc, dict) or not isinstance(doc.get("object"), str):
            raise ValueError("no object named")
    except (OSError, ValueError) as exc:
        raise UserError(f"{path}: unreadable ({exc}); run 'reclaim telegram logout' and log in again") from exc
    return doc
