"""The vault's small JSON files: ``vault.json`` (key slots) and ``<sha256>.key`` (wrapped data keys).

Kept apart from vault.py so the store logic reads on its own; every parser here refuses malformed input with
an IntegrityError naming the file, because a vault header or key file is never edited by hand.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from reclaim._files import read_json_object, read_versioned_json
from reclaim.errors import IntegrityError, NotFound
from reclaim.vault import keys

VAULT_FORMAT = "reclaim-vault"


def passphrase_slot(passphrase: str, params: keys.KdfParams | None) -> tuple[dict[str, Any], bytes]:
    params, salt = params or keys.KdfParams(), os.urandom(16)
    return {"source": "passphrase", "kdf": params.to_json(salt)}, keys.derive_key(passphrase, salt, params)


def slot_key(slot: dict[str, Any], passphrase: str | None, root: Path, context: bytes) -> bytes | None:
    """The slot's key if ``passphrase`` (or the keyring) opens it, else None."""
    if slot.get("source") == "keyring":
        kek = keys.keyring_load(slot["name"])
    elif passphrase is None:
        return None
    else:
        params, salt = keys.KdfParams.from_json(slot.get("kdf", {}), str(root / "vault.json"))
        kek = keys.derive_key(passphrase, salt, params)
    return kek if keys.check_key(kek, context, slot["check"]) else None


def read_header(root: Path) -> dict[str, Any]:
    path = root / "vault.json"
    header = read_versioned_json(path, VAULT_FORMAT, 1, missing=NotFound, what="vault header")
    slots = [header.get("key"), *([header["next_key"]] if "next_key" in header else [])]
    if not _is_hex(header.get("vault_id"), 32) or not all(_valid_slot(slot) for slot in slots):
        raise IntegrityError(f"{path}: damaged vault header (vault_id or key slots)")
    return header


def read_key_file(path: Path) -> dict[str, str]:
    doc = read_json_object(path, what="vault object key file")
    if not (_is_hex(doc.get("kek"), 16) and _is_hex(doc.get("wrapped"), 120)):
        raise IntegrityError(f"{path}: not a vault key file")
    return doc


def _valid_slot(slot: object) -> bool:
    if not isinstance(slot, dict) or not _is_hex(slot.get("check"), 64):
        return False
    return slot.get("source") == "passphrase" or (slot.get("source") == "keyring" and isinstance(slot.get("name"), str))


def _is_hex(value: object, length: int) -> bool:
    return isinstance(value, str) and len(value) == length and all(c in "0123456789abcdef" for c in value)


def dump(doc: dict[str, Any]) -> bytes:
    return (json.dumps(doc, indent=1, sort_keys=True) + "\n").encode()
