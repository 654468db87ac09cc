"""Case keys: sign/verify, public-key export, key files protected by a passphrase."""

from __future__ import annotations

import json
import stat
from hashlib import sha256
from pathlib import Path

import pytest

from reclaim.errors import IntegrityError, NotFound, UserError, WrongPassphrase
from reclaim.evidence import KdfParams, SigningKey, VerifyKey


def test_sign_and_verify(key: SigningKey) -> None:
    signature = key.sign(b"head")
    key.public_key.verify(signature, b"head", "test")
    with pytest.raises(IntegrityError, match="test: signature invalid"):
        key.public_key.verify(signature, b"head!", "test")
    with pytest.raises(IntegrityError, match="signature invalid"):
        SigningKey.generate().public_key.verify(signature, b"head", "test")


def test_public_key_exports_round_trip(key: SigningKey) -> None:
    public = key.public_key
    assert len(public.raw) == 32
    assert public.fingerprint == sha256(public.raw).hexdigest()
    assert VerifyKey.from_raw(public.raw) == public
    assert VerifyKey.from_hex(public.hex) == public
    assert VerifyKey.from_pem(public.pem()) == public
    assert public.pem().startswith(b"-----BEGIN PUBLIC KEY-----")
    assert public != SigningKey.generate().public_key
    with pytest.raises(UserError, match="not a PEM public key"):
        VerifyKey.from_pem(b"garbage")
    with pytest.raises(IntegrityError, match="not a raw Ed25519 public key"):
        VerifyKey.from_raw(b"short")


def test_key_file_with_passphrase(tmp_path: Path, key: SigningKey, fast_kdf: KdfParams) -> None:
    path = tmp_path / "case.key"
    key.save(path, "correct horse", params=fast_kdf)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    doc = json.loads(path.read_text())
    assert doc["protection"] == "passphrase" and "private_key" not in doc
    loaded = SigningKey.load(path, "correct horse")
    assert loaded.public_key == key.public_key
    loaded.public_key.verify(key.sign(b"x"), b"x", "test")
    with pytest.raises(WrongPassphrase, match=f"{path}: wrong passphrase"):
        SigningKey.load(path, "wrong horse")
    with pytest.raises(WrongPassphrase, match="a passphrase is needed"):
        SigningKey.load(path, None)
    with pytest.raises(UserError, match="already there"):
        key.save(path, "again", params=fast_kdf)


def test_unencrypted_key_file_needs_explicit_opt_in(tmp_path: Path, key: SigningKey) -> None:
    path = tmp_path / "test.key"
    with pytest.raises(UserError, match="without a passphrase"):
        key.save(path, None)
    assert not path.exists()
    key.save(path, None, allow_unencrypted=True)
    assert SigningKey.load(path, None).public_key == key.public_key


def test_damaged_key_files(tmp_path: Path, key: SigningKey, fast_kdf: KdfParams) -> None:
    path = tmp_path / "case.key"
    key.save(path, "pw", params=fast_kdf)
    doc = json.loads(path.read_text())
    wrapped = bytearray(bytes.fromhex(doc["wrapped_private_key"]))
    wrapped[20] ^= 1
    path.write_text(json.dumps({**doc, "wrapped_private_key": wrapped.hex()}))
    with pytest.raises(IntegrityError, match="wrapped key does not authenticate"):
        SigningKey.load(path, "pw")
    path.write_text("{not json")
    with pytest.raises(IntegrityError, match="key file is unreadable"):
        SigningKey.load(path, "pw")
    path.write_text(json.dumps({**doc, "kdf": {**doc["kdf"], "memory_kib": 2**40}}))
    with pytest.raises(IntegrityError, match="out of range"):
        SigningKey.load(path, "pw")
    with pytest.raises(NotFound, match="no key file"):
        SigningKey.load(tmp_path / "missing.key", "pw")
    assert issubclass(WrongPassphrase, UserError) and not issubclass(WrongPassphrase, IntegrityError)
