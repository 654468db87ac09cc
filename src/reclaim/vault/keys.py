"""Passphrase → key (Argon2id), key wrapping (AES-256-GCM) and the OS keyring, shared by the vault and key files.

Argon2id is what DESIGN.md asks for: memory-hard, so a stolen vault or key file cannot be brute-forced cheaply.
The parameters travel with the salt in whatever header stores them, so they can be raised later without
breaking old files. Wrapping uses AES-GCM rather than RFC 3394 AES-KW so the wrapped key can be bound to its
object with associated data: a key file moved next to another object does not unwrap.
"""

from __future__ import annotations

import hmac
import os
from dataclasses import asdict, dataclass
from hashlib import sha256
from typing import Any

from argon2.exceptions import HashingError
from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from reclaim.errors import ExternalError, IntegrityError, UserError

KEY_BYTES = 32
NONCE_BYTES = 12
KEYRING_SERVICE = "reclaim"


@dataclass(frozen=True)
class KdfParams:
    """Argon2id cost parameters; the defaults follow RFC 9106's second recommendation (64 MiB, t=3, p=4)."""

    time_cost: int = 3
    memory_kib: int = 65536
    parallelism: int = 4

    def to_json(self, salt: bytes) -> dict[str, Any]:
        return {"name": "argon2id", "salt": salt.hex(), **asdict(self)}

    @classmethod
    def from_json(cls, data: dict[str, Any], where: str) -> tuple[KdfParams, bytes]:
        """Parse stored parameters, refusing values that would make opening a file hang or exhaust memory."""
        try:
            params = cls(int(data["time_cost"]), int(data["memory_kib"]), int(data["parallelism"]))
            salt = bytes.fromhex(data["salt"])
            ok = data["name"] == "argon2id" and len(salt) >= 16
        except (KeyError, TypeError, ValueError) as exc:
            raise IntegrityError(f"{where}: key derivation parameters are unreadable ({exc})") from exc
        if not ok or not (1 <= params.time_cost <= 64 and 8 <= params.memory_kib <= 4 * 2**20):
            raise IntegrityError(f"{where}: key derivation parameters are out of range: {data}")
        if not 1 <= params.parallelism <= 64:
            raise IntegrityError(f"{where}: key derivation parallelism is out of range: {data}")
        return params, salt


def derive_key(passphrase: str, salt: bytes, params: KdfParams) -> bytes:
    """A 256-bit key from a passphrase; an empty passphrase is refused rather than silently accepted."""
    if not passphrase:
        raise UserError("the passphrase is empty")
    try:
        return hash_secret_raw(
            passphrase.encode("utf-8"), salt, params.time_cost, params.memory_kib, params.parallelism,
            KEY_BYTES, Type.ID,
        )
    except HashingError as exc:
        raise UserError(f"argon2id with {params} failed: {exc}") from exc


def key_check(key: bytes, context: bytes) -> str:
    """A value that proves a key is right without revealing it, so a wrong passphrase fails before any write."""
    return hmac.new(key, b"reclaim key check v1\0" + context, sha256).hexdigest()


def check_key(key: bytes, context: bytes, expected: str) -> bool:
    return hmac.compare_digest(key_check(key, context), expected)


def wrap(kek: bytes, key: bytes, bound_to: bytes) -> bytes:
    """Encrypt ``key`` under ``kek``: nonce ‖ ciphertext ‖ tag, with ``bound_to`` as associated data."""
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(kek).encrypt(nonce, key, bound_to)


def unwrap(kek: bytes, blob: bytes, bound_to: bytes, where: str) -> bytes:
    if len(blob) != NONCE_BYTES + KEY_BYTES + 16:
        raise IntegrityError(f"{where}: wrapped key has {len(blob)} bytes, expected {NONCE_BYTES + KEY_BYTES + 16}")
    try:
        return AESGCM(kek).decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], bound_to)
    except InvalidTag as exc:
        raise IntegrityError(
            f"{where}: wrapped key does not authenticate (changed, or moved from another object)"
        ) from exc


def keyring_backend() -> Any | None:
    """The ``keyring`` module when it is installed and has a working backend, else None (it is optional)."""
    try:
        import keyring
    except ImportError:
        return None
    backend = keyring.get_keyring()
    return None if getattr(backend, "priority", 1) <= 0 else keyring


def keyring_store(name: str, key: bytes) -> None:
    ring = keyring_backend()
    if ring is None:
        raise UserError(f"no OS keyring is available to hold the key for {name}; use a passphrase")
    try:
        ring.set_password(KEYRING_SERVICE, name, key.hex())
    except Exception as exc:  # backends raise their own types (dbus, Secret Service, macOS Keychain)
        raise ExternalError(f"OS keyring: cannot store the key for {name}: {exc}") from exc


def keyring_load(name: str) -> bytes:
    ring = keyring_backend()
    if ring is None:
        raise UserError(f"{name} keeps its key in the OS keyring, but no keyring is available here")
    try:
        stored = ring.get_password(KEYRING_SERVICE, name)
    except Exception as exc:  # as above: backend-specific failures
        raise ExternalError(f"OS keyring: cannot read the key for {name}: {exc}") from exc
    if stored is None:
        raise UserError(f"the OS keyring has no key for {name}")
    return bytes.fromhex(stored)
