"""Encrypted media store: originals at rest under AES-256-GCM, named by their sha256 (the evidence identity).

Layout of a vault folder::

    vault.json                  {"format": "reclaim-vault", "version": 1, "vault_id": "<32 hex>",
                                 "key": {"source": "passphrase", "kdf": {argon2id salt+params}, "check": "<hex>"}
                                   or {"source": "keyring", "name": "vault:<vault_id>", "check": "<hex>"},
                                 "next_key": {...}}          (present only while a passphrase change is unfinished)
    objects/ab/<sha256>.enc     chunked AES-256-GCM of the original (format in stream.py)
    objects/ab/<sha256>.key     {"kek": "<check[:16] of the wrapping key>", "wrapped": "<hex>"}: the object's random
                                data key, AES-256-GCM-wrapped by the vault key with the raw sha256 as AD
    tmp/, vault.lock            temporary files (named with the writer's pid) and the inter-process lock

The vault key (KEK) comes from the passphrase via Argon2id, or is a random key kept in the OS keyring;
``check`` = HMAC(KEK, vault_id) tells a wrong passphrase apart before anything is written. Changing the
passphrase re-wraps the small key files only; it records ``next_key`` first, so a change interrupted by a
crash is finished by running it again with the same two passphrases. Object names reveal each file's
sha256: Reclaim treats hashes as shareable (banks carry them), never the media.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from hashlib import sha256
from pathlib import Path
from typing import Any, BinaryIO

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from reclaim._files import atomic_write, atomic_writer, fsync_dir, locked, open_or_fail, remove_dead_temps, temp_path
from reclaim.errors import (
    AlreadyExists,
    ExternalError,
    InvalidHash,
    NotFound,
    UnreadableFile,
    UserError,
    WrongPassphrase,
)
from reclaim.vault import keys
from reclaim.vault.stream import DecryptingReader, encrypt_stream
from reclaim.vault.vault_files import VAULT_FORMAT, dump, passphrase_slot, read_header, read_key_file, slot_key

_SHA = re.compile(r"[0-9a-f]{64}")
_CHUNK = 1 << 20


@dataclass(frozen=True)
class Access:
    """One read of original media, handed to the vault's ``on_read`` hook before any byte is decrypted."""

    actor: str
    action: str  # "media.read", "media.stream" or "media.extract"
    sha256: str
    detail: str | None = None  # extract: the destination path


AccessHook = Callable[[Access], None]


def _object(root: Path, sha: str) -> Path:
    """Where the vault at ``root`` keeps object ``sha`` (its key file sits beside it as ``.key``)."""
    if not isinstance(sha, str) or not _SHA.fullmatch(sha):
        raise InvalidHash(f"{root}: not a sha256 (64 lowercase hex digits): {sha!r}")
    return root / "objects" / sha[:2] / f"{sha}.enc"


class Vault:
    """An open vault. Build with :meth:`create` or :meth:`open`; the key stays in memory only."""

    def __init__(self, root: Path, header: dict[str, Any], kek: bytes, on_read: AccessHook | None) -> None:
        self.root, self._header, self._kek, self._on_read = root, header, kek, on_read
        self._kek_id = keys.key_check(kek, self._context)[:16]

    @property
    def _context(self) -> bytes:
        return bytes.fromhex(self._header["vault_id"])

    @classmethod
    def create(cls, root: Path, passphrase: str | None, *, params: keys.KdfParams | None = None,
               on_read: AccessHook | None = None) -> Vault:
        """A new, empty vault; ``passphrase=None`` keeps a random key in the OS keyring instead."""
        if (root / "vault.json").exists():
            raise AlreadyExists(f"{root}: a vault is already there")
        vault_id = os.urandom(16)
        header: dict[str, Any] = {"format": VAULT_FORMAT, "version": 1, "vault_id": vault_id.hex()}
        if passphrase is None:
            kek = AESGCM.generate_key(bit_length=256)
            header["key"] = {"source": "keyring", "name": f"vault:{vault_id.hex()}"}
            keys.keyring_store(header["key"]["name"], kek)
        else:
            header["key"], kek = passphrase_slot(passphrase, params)
        header["key"]["check"] = keys.key_check(kek, vault_id)
        for folder in (root, root / "objects", root / "tmp"):
            folder.mkdir(parents=True, exist_ok=True)
        atomic_write(root / "vault.json", dump(header))
        return cls(root, header, kek, on_read)

    @classmethod
    def open(cls, root: Path, passphrase: str | None = None, *, on_read: AccessHook | None = None) -> Vault:
        """Open with its passphrase (or keyring); a wrong one raises WrongPassphrase and writes nothing."""
        header = read_header(root)
        for slot in [header["key"], *([header["next_key"]] if "next_key" in header else [])]:
            kek = slot_key(slot, passphrase, root, bytes.fromhex(header["vault_id"]))
            if kek is not None:
                remove_dead_temps(root / "tmp")
                return cls(root, header, kek, on_read)
        raise WrongPassphrase(f"{root}: wrong passphrase for this vault" if passphrase else
                              f"{root}: this vault needs its passphrase")

    def contains(self, sha: str) -> bool:
        return self._enc(sha).is_file()

    def list(self) -> list[str]:
        return sorted(p.name.removesuffix(".enc") for p in (self.root / "objects").glob("??/*.enc"))

    def put_bytes(self, data: bytes) -> str:
        sha = sha256(data).hexdigest()
        if not self.contains(sha):
            self._store(sha, io.BytesIO(data), "bytes")
        return sha

    def put_file(self, src: Path) -> str:
        """Store a file (streamed: memory stays at a few MiB whatever its size); return its sha256."""
        try:
            with open(src, "rb") as fh:
                hasher = sha256()
                while block := fh.read(_CHUNK):
                    hasher.update(block)
        except OSError as exc:
            raise UnreadableFile(f"{src}: cannot read: {exc.strerror or exc}") from exc
        sha = hasher.hexdigest()
        if not self.contains(sha):
            with open_or_fail(src, "rb") as fh:
                self._store(sha, fh, str(src))
        return sha

    def open_stream(self, sha: str, *, actor: str) -> BinaryIO:
        """A reader of the decrypted original; raises IntegrityError mid-stream if the object was changed."""
        return self._reader(sha, Access(actor, "media.stream", sha))

    def get_bytes(self, sha: str, *, actor: str) -> bytes:
        with self._reader(sha, Access(actor, "media.read", sha)) as reader:
            return reader.read()

    def extract_to(self, sha: str, dest: Path, *, actor: str) -> Path:
        """Decrypt to ``dest``, which appears only once every byte has been authenticated."""
        if dest.exists():
            raise AlreadyExists(f"{dest}: already exists; not overwriting it with {sha}")
        with self._reader(sha, Access(actor, "media.extract", sha, str(dest))) as reader:
            try:
                with atomic_writer(dest) as out:
                    while block := reader.read(_CHUNK):
                        out.write(block)
            except OSError as exc:
                raise ExternalError(f"{dest}: cannot write: {exc.strerror or exc}") from exc
        return dest

    @staticmethod
    def erase(root: Path, sha: str) -> bool:
        """Erase an object (a withdrawal), with no key needed: its key file goes first, so even a copy of the
        ciphertext left on the disk can no longer be decrypted. Returns False if it was not there."""
        enc = _object(root, sha)
        with locked(root / "vault.lock"):
            if not enc.is_file():
                return False
            try:
                enc.with_suffix(".key").unlink(missing_ok=True)
                fsync_dir(enc.parent)
                enc.unlink()
                fsync_dir(enc.parent)
            except OSError as exc:
                raise ExternalError(f"{root}: cannot erase {sha}: {exc.strerror or exc}") from exc
        return True

    def rotate_passphrase(self, old: str, new: str, *, params: keys.KdfParams | None = None) -> int:
        """Re-wrap every object's data key under a key from ``new``; no media is re-encrypted.

        Returns how many key files were re-wrapped. Resumable: after a crash, call again with the same
        two passphrases (the unfinished change's salt is kept in ``next_key``).
        """
        with locked(self.root / "vault.lock"):
            header = read_header(self.root)
            if header["key"]["source"] != "passphrase":
                raise UserError(f"{self.root}: the vault key is in the OS keyring; there is no passphrase to change")
            old_kek = slot_key(header["key"], old, self.root, self._context)
            if old_kek is None:
                raise WrongPassphrase(f"{self.root}: the old passphrase is wrong")
            if "next_key" not in header:
                header["next_key"], new_kek = passphrase_slot(new, params)
                header["next_key"]["check"] = keys.key_check(new_kek, self._context)
                atomic_write(self.root / "vault.json", dump(header))
            else:
                resumed = slot_key(header["next_key"], new, self.root, self._context)
                if resumed is None:
                    raise WrongPassphrase(f"{self.root}: an unfinished passphrase change used another new passphrase")
                new_kek = resumed
            new_id = header["next_key"]["check"][:16]
            count = 0
            for key_file in (self.root / "objects").glob("??/*.key"):
                doc = read_key_file(key_file)
                if doc["kek"] == new_id:
                    continue
                sha = bytes.fromhex(key_file.name.removesuffix(".key"))
                data_key = keys.unwrap(old_kek, bytes.fromhex(doc["wrapped"]), sha, str(key_file))
                doc = {"kek": new_id, "wrapped": keys.wrap(new_kek, data_key, sha).hex()}
                atomic_write(key_file, dump(doc), sync_dir=False)
                count += 1
            for shard in (self.root / "objects").glob("??"):
                fsync_dir(shard)
            header["key"] = header.pop("next_key")
            atomic_write(self.root / "vault.json", dump(header))
            self._header, self._kek, self._kek_id = header, new_kek, new_id
        return count

    def _enc(self, sha: str) -> Path:
        return _object(self.root, sha)

    def _reader(self, sha: str, access: Access) -> BinaryIO:
        enc = self._enc(sha)
        if not enc.is_file():
            raise NotFound(f"{self.root}: no object {sha}")
        if self._on_read is not None:
            self._on_read(access)  # before any decryption: an audit failure blocks the read
        key_file = enc.with_suffix(".key")
        doc = read_key_file(key_file)
        if doc["kek"] != self._kek_id:
            raise UserError(f"{key_file}: wrapped by the vault's other passphrase; a passphrase change was "
                            "interrupted: run rotate_passphrase(old, new) again to finish it")
        data_key = keys.unwrap(self._kek, bytes.fromhex(doc["wrapped"]), bytes.fromhex(sha), str(key_file))
        fh = open_or_fail(enc, "rb")
        try:
            raw = DecryptingReader(fh, data_key, sha, str(enc))
        except BaseException:
            fh.close()
            raise
        return io.BufferedReader(raw, buffer_size=_CHUNK)

    def _store(self, sha: str, src: BinaryIO, what: str) -> None:
        """Encrypt into tmp/, then under the lock write the key file and rename the object into place."""
        data_key = AESGCM.generate_key(bit_length=256)
        try:
            temp = temp_path(self.root / "tmp")
        except OSError as exc:
            raise ExternalError(f"{self.root}: cannot write to the vault: {exc.strerror or exc}") from exc
        try:
            with open(temp, "wb") as out:
                read = encrypt_stream(data_key, bytes.fromhex(sha), src, out)
                out.flush()
                os.fsync(out.fileno())
            if read != sha:
                raise UnreadableFile(f"{what}: changed while it was being stored (sha256 {read}, expected {sha})")
            with locked(self.root / "vault.lock"):
                if read_header(self.root)["key"]["check"][:16] != self._kek_id:
                    raise UserError(f"{self.root}: the vault key changed since it was opened, or a passphrase change "
                                    "is unfinished: finish it with rotate_passphrase, then open the vault again")
                if self.contains(sha):
                    return
                enc = self._enc(sha)
                if not enc.parent.is_dir():
                    enc.parent.mkdir()
                    fsync_dir(enc.parent.parent)
                doc = {"kek": self._kek_id, "wrapped": keys.wrap(self._kek, data_key, bytes.fromhex(sha)).hex()}
                atomic_write(enc.with_suffix(".key"), dump(doc), sync_dir=False)
                os.replace(temp, enc)
                fsync_dir(enc.parent)
        except OSError as exc:
            raise ExternalError(f"{self.root}: cannot store {what}: {exc.strerror or exc}") from exc
        finally:
            temp.unlink(missing_ok=True)
