"""Ed25519 case keys: the private half signs custody-log heads, the public half lets anyone verify them.

A key file is JSON so that it says what it is and how it is protected::

    {"format": "reclaim-ed25519-key", "version": 1,
     "public_key": "<64 hex>",                       # raw 32-byte Ed25519 public key
     "protection": "passphrase",
     "kdf": {"name": "argon2id", "salt": "<hex>", "time_cost": 3, "memory_kib": 65536, "parallelism": 4},
     "check": "<64 hex>",                            # HMAC(derived key, public key): wrong passphrase vs tamper
     "wrapped_private_key": "<hex>"}                 # AES-256-GCM(nonce ‖ ct ‖ tag), AD = raw public key

or, only when the caller opts in (tests, a key held in an HSM-backed folder), ``"protection": "none"`` with
``"private_key": "<64 hex>"``. The public key is exported as PEM (SubjectPublicKeyInfo) or raw bytes for
bundles; its fingerprint is the sha256 of the raw 32 bytes, in hex.
"""

from __future__ import annotations

import json
import os
from hashlib import sha256
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from reclaim._files import atomic_write, read_versioned_json
from reclaim.errors import IntegrityError, NotFound, UserError, WrongPassphrase
from reclaim.vault.keys import KdfParams, check_key, derive_key, key_check, unwrap, wrap

KEY_FORMAT = "reclaim-ed25519-key"
_RAW = (serialization.Encoding.Raw, serialization.PublicFormat.Raw)


class VerifyKey:
    """An Ed25519 public key; equality and fingerprint are over its raw 32 bytes."""

    def __init__(self, key: Ed25519PublicKey) -> None:
        self._key = key

    @classmethod
    def from_raw(cls, data: bytes, where: str = "public key") -> VerifyKey:
        try:
            return cls(Ed25519PublicKey.from_public_bytes(data))
        except ValueError as exc:
            raise IntegrityError(f"{where}: not a raw Ed25519 public key ({len(data)} bytes)") from exc

    @classmethod
    def from_hex(cls, text: str, where: str = "public key") -> VerifyKey:
        try:
            data = bytes.fromhex(text)
        except (TypeError, ValueError) as exc:
            raise IntegrityError(f"{where}: public key is not hex") from exc
        return cls.from_raw(data, where)

    @classmethod
    def from_pem(cls, data: bytes, where: str = "public key") -> VerifyKey:
        try:
            key = serialization.load_pem_public_key(data)
        except ValueError as exc:
            raise UserError(f"{where}: not a PEM public key") from exc
        if not isinstance(key, Ed25519PublicKey):
            raise UserError(f"{where}: a {type(key).__name__}, not an Ed25519 public key")
        return cls(key)

    @property
    def raw(self) -> bytes:
        return self._key.public_bytes(*_RAW)

    @property
    def hex(self) -> str:
        return self.raw.hex()

    @property
    def fingerprint(self) -> str:
        return sha256(self.raw).hexdigest()

    def pem(self) -> bytes:
        return self._key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)

    def verify(self, signature: bytes, data: bytes, where: str) -> None:
        """Return if ``signature`` is this key's over ``data``; else raise IntegrityError naming ``where``."""
        try:
            self._key.verify(signature, data)
        except InvalidSignature as exc:
            raise IntegrityError(f"{where}: signature invalid for key {self.fingerprint[:16]}") from exc

    def __eq__(self, other: object) -> bool:
        return isinstance(other, VerifyKey) and self.raw == other.raw

    def __hash__(self) -> int:
        return hash(self.raw)

    def __repr__(self) -> str:
        return f"VerifyKey({self.fingerprint[:16]})"


class SigningKey:
    """A case's Ed25519 private key. Never printed; saved only through :meth:`save`."""

    def __init__(self, key: Ed25519PrivateKey) -> None:
        self._key = key

    @classmethod
    def generate(cls) -> SigningKey:
        return cls(Ed25519PrivateKey.generate())

    @property
    def public_key(self) -> VerifyKey:
        return VerifyKey(self._key.public_key())

    def sign(self, data: bytes) -> bytes:
        return self._key.sign(data)

    def save(
        self, path: Path, passphrase: str | None, *, params: KdfParams | None = None, allow_unencrypted: bool = False
    ) -> None:
        """Write the key file (mode 0600, atomically). No passphrase is refused unless explicitly allowed."""
        if path.exists():
            raise UserError(f"{path}: a key file is already there; refusing to overwrite it")
        public = self.public_key.raw
        doc: dict[str, Any] = {"format": KEY_FORMAT, "version": 1, "public_key": public.hex()}
        private = self._key.private_bytes(
            serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
        )
        if passphrase is None:
            if not allow_unencrypted:
                raise UserError(f"{path}: refusing to save a case key without a passphrase")
            doc.update(protection="none", private_key=private.hex())
        else:
            params = params or KdfParams()
            salt = os.urandom(16)
            kek = derive_key(passphrase, salt, params)
            doc.update(
                protection="passphrase", kdf=params.to_json(salt), check=key_check(kek, public),
                wrapped_private_key=wrap(kek, private, public).hex(),
            )
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, (json.dumps(doc, indent=1) + "\n").encode())

    @classmethod
    def load(cls, path: Path, passphrase: str | None) -> SigningKey:
        """Read a key file; a wrong passphrase raises WrongPassphrase, a changed file IntegrityError."""
        doc = read_versioned_json(path, KEY_FORMAT, 1, missing=NotFound, what="key file")
        public = VerifyKey.from_hex(doc.get("public_key", ""), str(path)).raw
        try:
            if doc.get("protection") == "none":
                private = bytes.fromhex(doc["private_key"])
            else:
                if passphrase is None:
                    raise WrongPassphrase(f"{path}: the key is passphrase-protected; a passphrase is needed")
                params, salt = KdfParams.from_json(doc["kdf"], str(path))
                kek = derive_key(passphrase, salt, params)
                if not check_key(kek, public, doc["check"]):
                    raise WrongPassphrase(f"{path}: wrong passphrase for this case key")
                private = unwrap(kek, bytes.fromhex(doc["wrapped_private_key"]), public, str(path))
            key = cls(Ed25519PrivateKey.from_private_bytes(private))
        except (KeyError, TypeError, ValueError) as exc:
            raise IntegrityError(f"{path}: key file is damaged ({type(exc).__name__}: {exc})") from exc
        if key.public_key.raw != public:
            raise IntegrityError(f"{path}: private key does not match the public key recorded in the file")
        return key

    def __repr__(self) -> str:
        return f"SigningKey(public={self.public_key.fingerprint[:16]})"
