"""The vault: round trips, wrong passphrase, tampering, passphrase rotation, keyring, audit hook."""

from __future__ import annotations

import io
import json
import os
import sys
import types
from hashlib import sha256
from pathlib import Path

import pytest

from reclaim.errors import (
    AlreadyExists,
    ExternalError,
    IntegrityError,
    InvalidHash,
    NotFound,
    UnreadableFile,
    UserError,
    WrongPassphrase,
)
from reclaim.evidence import Access, KdfParams, Vault
from reclaim.synthetic.scenes import jpeg_bytes, scene
from reclaim.vault import store as vault_module
from reclaim.vault.keys import keyring_backend
from reclaim.vault.stream import SEGMENT_SIZE, DecryptingReader, encrypt_stream


@pytest.fixture
def vault(tmp_path: Path, fast_kdf: KdfParams) -> Vault:
    return Vault.create(tmp_path / "vault", "correct horse", params=fast_kdf)


def snapshot(root: Path) -> dict[str, tuple[int, bytes]]:
    return {str(p.relative_to(root)): (p.stat().st_mtime_ns, p.read_bytes()) for p in root.rglob("*") if p.is_file()}


def enc_path(vault: Vault, sha: str) -> Path:
    return vault.root / "objects" / sha[:2] / f"{sha}.enc"


def test_images_round_trip(vault: Vault, tmp_path: Path) -> None:
    jpeg = jpeg_bytes(scene(seed=1), 90)
    png_path = tmp_path / "scene.png"
    scene(seed=2).save(png_path)
    sha_jpeg = vault.put_bytes(jpeg)
    sha_png = vault.put_file(png_path)
    assert sha_jpeg == sha256(jpeg).hexdigest() and sha_png == sha256(png_path.read_bytes()).hexdigest()
    assert vault.list() == sorted([sha_jpeg, sha_png]) and vault.contains(sha_png)
    assert vault.get_bytes(sha_jpeg, actor="officer kim") == jpeg
    with vault.open_stream(sha_png, actor="officer kim") as stream:
        parts = iter(lambda: stream.read(1000), b"")
        assert b"".join(parts) == png_path.read_bytes()
    out = vault.extract_to(sha_png, tmp_path / "out.png", actor="officer kim")
    assert out.read_bytes() == png_path.read_bytes()
    assert jpeg not in enc_path(vault, sha_jpeg).read_bytes()  # stored encrypted
    reopened = Vault.open(vault.root, "correct horse")
    assert reopened.get_bytes(sha_jpeg, actor="officer kim") == jpeg


@pytest.mark.parametrize("size", [0, 1, SEGMENT_SIZE - 1, SEGMENT_SIZE, SEGMENT_SIZE + 1, 2 * SEGMENT_SIZE])
def test_segment_boundaries(vault: Vault, size: int) -> None:
    data = os.urandom(size)
    sha = vault.put_bytes(data)
    assert vault.get_bytes(sha, actor="t") == data


def test_storing_twice_keeps_one_object(vault: Vault, tmp_path: Path) -> None:
    sha = vault.put_bytes(b"same")
    before = snapshot(vault.root)
    (tmp_path / "same.bin").write_bytes(b"same")
    assert vault.put_file(tmp_path / "same.bin") == sha
    assert snapshot(vault.root) == before


def test_wrong_passphrase_is_one_clear_error_and_writes_nothing(vault: Vault) -> None:
    vault.put_bytes(b"evidence")
    (vault.root / "tmp" / f".tmp-{2**22 + 1}-left").write_bytes(b"partial")  # would be cleaned by a real open
    before = snapshot(vault.root)
    with pytest.raises(WrongPassphrase, match=f"^{vault.root}: wrong passphrase for this vault$"):
        Vault.open(vault.root, "wrong horse")
    with pytest.raises(WrongPassphrase, match="needs its passphrase"):
        Vault.open(vault.root)
    assert snapshot(vault.root) == before


def test_open_cleans_temp_files_of_dead_writers(vault: Vault) -> None:
    dead = vault.root / "tmp" / f".tmp-{2**22 + 1}-left"
    mine = vault.root / "tmp" / f".tmp-{os.getpid()}-busy"
    dead.write_bytes(b"partial")
    mine.write_bytes(b"in progress")
    Vault.open(vault.root, "correct horse")
    assert not dead.exists() and mine.exists()


def test_flipped_ciphertext_byte_names_the_object(vault: Vault, tmp_path: Path) -> None:
    data = os.urandom(SEGMENT_SIZE + 5000)
    sha = vault.put_bytes(data)
    path = enc_path(vault, sha)
    good = path.read_bytes()
    for offset, where in [(100, "segment 0"), (SEGMENT_SIZE + 16 + 200, "segment 1"), (len(good) - 1, "segment 1")]:
        flipped = bytearray(good)
        flipped[offset] ^= 0x01
        path.write_bytes(bytes(flipped))
        with pytest.raises(IntegrityError, match=f"{sha}.enc: {where} does not authenticate"):
            vault.get_bytes(sha, actor="t")
    header = bytearray(good)
    header[10] ^= 0x01  # the segment size
    path.write_bytes(bytes(header))
    with pytest.raises(IntegrityError, match=f"{sha}.enc"):
        vault.get_bytes(sha, actor="t")
    path.write_bytes(good + b"extra")
    with pytest.raises(IntegrityError, match=f"{sha}.enc: segment 1 does not authenticate"):
        vault.extract_to(sha, tmp_path / "never.bin", actor="t")
    assert not (tmp_path / "never.bin").exists()  # nothing unauthenticated reaches the destination


def test_truncation_and_swapped_objects_are_detected(vault: Vault) -> None:
    a, b = os.urandom(3 * SEGMENT_SIZE), os.urandom(3 * SEGMENT_SIZE)
    sha_a, sha_b = vault.put_bytes(a), vault.put_bytes(b)
    good = enc_path(vault, sha_a).read_bytes()
    enc_path(vault, sha_a).write_bytes(good[: 20 + 2 * (SEGMENT_SIZE + 16)])  # cut at a segment boundary
    with pytest.raises(IntegrityError, match="segment 1 does not authenticate"):
        vault.get_bytes(sha_a, actor="t")
    enc_path(vault, sha_a).write_bytes(enc_path(vault, sha_b).read_bytes())  # b's object under a's name
    with pytest.raises(IntegrityError, match=f"{sha_a}.enc: segment 0"):
        vault.get_bytes(sha_a, actor="t")
    key_file = enc_path(vault, sha_a).with_suffix(".key")
    key_file.write_bytes(enc_path(vault, sha_b).with_suffix(".key").read_bytes())  # and b's key file too
    with pytest.raises(IntegrityError, match=f"{sha_a}.key: wrapped key does not authenticate"):
        vault.get_bytes(sha_a, actor="t")


def test_passphrase_rotation_rewraps_keys_only(vault: Vault, fast_kdf: KdfParams) -> None:
    items = {vault.put_bytes(os.urandom(n)): n for n in (10, 5000, SEGMENT_SIZE + 3)}
    objects = {sha: enc_path(vault, sha).read_bytes() for sha in items}
    mtimes = {sha: enc_path(vault, sha).stat().st_mtime_ns for sha in items}
    assert vault.rotate_passphrase("correct horse", "battery staple", params=fast_kdf) == 3
    assert {sha: enc_path(vault, sha).read_bytes() for sha in items} == objects  # media not re-encrypted
    assert {sha: enc_path(vault, sha).stat().st_mtime_ns for sha in items} == mtimes
    with pytest.raises(WrongPassphrase):
        Vault.open(vault.root, "correct horse")
    reopened = Vault.open(vault.root, "battery staple")
    assert all(len(reopened.get_bytes(sha, actor="t")) == n for sha, n in items.items())
    assert all(len(vault.get_bytes(sha, actor="t")) == n for sha, n in items.items())  # this instance too
    with pytest.raises(WrongPassphrase, match="old passphrase is wrong"):
        vault.rotate_passphrase("correct horse", "x", params=fast_kdf)


def test_interrupted_rotation_is_finished_by_running_it_again(
    vault: Vault, fast_kdf: KdfParams, monkeypatch: pytest.MonkeyPatch
) -> None:
    shas = [vault.put_bytes(os.urandom(100 + n)) for n in range(6)]
    real_write, writes = vault_module.atomic_write, []

    def crash_after_three(target: Path, data: bytes, *args: object, **kwargs: object) -> None:
        if target.suffix == ".key" and len(writes) == 3:
            raise KeyboardInterrupt("power cut")
        writes.append(target)
        real_write(target, data, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(vault_module, "atomic_write", crash_after_three)
    with pytest.raises(KeyboardInterrupt):
        vault.rotate_passphrase("correct horse", "battery staple", params=fast_kdf)
    monkeypatch.setattr(vault_module, "atomic_write", real_write)
    assert "next_key" in json.loads((vault.root / "vault.json").read_text())
    half = Vault.open(vault.root, "correct horse")  # both passphrases open it meanwhile
    readable = [s for s in shas if s not in {p.name.removesuffix(".key") for p in writes[1:]}]
    assert half.get_bytes(readable[-1], actor="t")
    with pytest.raises(UserError, match="passphrase change was interrupted"):
        half.get_bytes(writes[1].name.removesuffix(".key"), actor="t")
    with pytest.raises(WrongPassphrase, match="used another new passphrase"):
        half.rotate_passphrase("correct horse", "something else", params=fast_kdf)
    assert half.rotate_passphrase("correct horse", "battery staple") == 4
    done = Vault.open(vault.root, "battery staple")
    assert all(done.get_bytes(s, actor="t") for s in shas)
    assert "next_key" not in json.loads((vault.root / "vault.json").read_text())


def test_every_read_is_reported_before_decryption(tmp_path: Path, fast_kdf: KdfParams) -> None:
    seen: list[Access] = []
    vault = Vault.create(tmp_path / "v", "pw", params=fast_kdf, on_read=seen.append)
    sha = vault.put_bytes(b"original")
    vault.get_bytes(sha, actor="officer kim")
    vault.open_stream(sha, actor="reviewer lee").close()
    vault.extract_to(sha, tmp_path / "copy", actor="prosecutor")
    assert [(a.actor, a.action) for a in seen] == [
        ("officer kim", "media.read"), ("reviewer lee", "media.stream"), ("prosecutor", "media.extract"),
    ]
    assert seen[-1].detail == str(tmp_path / "copy") and {a.sha256 for a in seen} == {sha}

    def refuse(access: Access) -> None:
        raise UserError(f"audit log unavailable; not reading {access.sha256}")

    blocked = Vault.open(vault.root, "pw", on_read=refuse)
    with pytest.raises(UserError, match="audit log unavailable"):
        blocked.get_bytes(sha, actor="anyone")


def test_usage_errors(vault: Vault, tmp_path: Path, fast_kdf: KdfParams) -> None:
    with pytest.raises(InvalidHash, match="not a sha256"):
        vault.contains("ABC")
    with pytest.raises(NotFound, match=f"no object {'0' * 64}"):
        vault.get_bytes("0" * 64, actor="t")
    with pytest.raises(UnreadableFile, match="missing.jpg: cannot read"):
        vault.put_file(tmp_path / "missing.jpg")
    with pytest.raises(AlreadyExists, match="a vault is already there"):
        Vault.create(vault.root, "pw", params=fast_kdf)
    with pytest.raises(NotFound, match="vault.json: missing"):
        Vault.open(tmp_path / "nowhere", "pw")
    sha = vault.put_bytes(b"x")
    (tmp_path / "exists").write_bytes(b"keep me")
    with pytest.raises(AlreadyExists, match="not overwriting"):
        vault.extract_to(sha, tmp_path / "exists", actor="t")
    assert (tmp_path / "exists").read_bytes() == b"keep me"
    with pytest.raises(UserError, match="empty"):
        Vault.create(tmp_path / "v2", "", params=fast_kdf)


class _FakeKeyring(types.ModuleType):
    """Stands in for the optional ``keyring`` package: same three calls, an in-memory store."""

    def __init__(self) -> None:
        super().__init__("keyring")
        self.store: dict[tuple[str, str], str] = {}

    def get_keyring(self) -> object:
        return types.SimpleNamespace(priority=1)

    def set_password(self, service: str, name: str, value: str) -> None:
        self.store[(service, name)] = value

    def get_password(self, service: str, name: str) -> str | None:
        return self.store.get((service, name))


def test_keyring_held_key_with_a_stand_in_keyring(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = _FakeKeyring()
    monkeypatch.setitem(sys.modules, "keyring", fake)
    vault = Vault.create(tmp_path / "v", None)
    sha = vault.put_bytes(b"held by the OS keyring")
    assert Vault.open(tmp_path / "v").get_bytes(sha, actor="t") == b"held by the OS keyring"
    assert json.loads((tmp_path / "v" / "vault.json").read_text())["key"]["source"] == "keyring"
    with pytest.raises(UserError, match="no passphrase to change"):
        vault.rotate_passphrase("a", "b")
    fake.store.clear()
    with pytest.raises(UserError, match="the OS keyring has no key"):
        Vault.open(tmp_path / "v")
    monkeypatch.setitem(sys.modules, "keyring", None)  # not installed
    with pytest.raises(UserError, match="no keyring is available"):
        Vault.open(tmp_path / "v")


@pytest.mark.skipif(keyring_backend() is None, reason="no OS keyring (package or backend) on this machine")
def test_keyring_held_key_with_the_real_keyring(tmp_path: Path) -> None:
    vault = Vault.create(tmp_path / "v", None)
    sha = vault.put_bytes(b"x")
    assert Vault.open(tmp_path / "v").get_bytes(sha, actor="t") == b"x"


def test_stream_format_with_short_reads_from_a_pipe() -> None:
    class Trickle(io.RawIOBase):
        """A pipe-like source that never returns more than 777 bytes per read."""

        def __init__(self, data: bytes) -> None:
            self.data = data

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
            n = min(len(buffer), 777, len(self.data))
            buffer[:n], self.data = self.data[:n], self.data[n:]
            return n

    data, key = os.urandom(3 * 4096 + 10), os.urandom(32)
    digest = sha256(data).digest()
    sealed = io.BytesIO()
    assert encrypt_stream(key, digest, Trickle(data), sealed, segment_size=4096) == digest.hex()  # type: ignore[arg-type]
    assert len(sealed.getvalue()) == 20 + len(data) + 4 * 16  # header + 4 segments, each with its tag
    sealed.seek(0)
    assert DecryptingReader(sealed, key, digest.hex(), "test").read() == data


def test_damaged_header_and_unwritable_destination(vault: Vault, tmp_path: Path) -> None:
    sha = vault.put_bytes(b"abc")
    path = enc_path(vault, sha)
    path.write_bytes(b"NOTMAGIC" + path.read_bytes()[8:])
    with pytest.raises(IntegrityError, match=f"{sha}.enc: not a version 1 vault object"):
        vault.get_bytes(sha, actor="t")
    sha2 = vault.put_bytes(b"def")
    with pytest.raises(ExternalError, match="no-such-dir/out.bin: cannot write"):
        vault.extract_to(sha2, tmp_path / "no-such-dir" / "out.bin", actor="t")
    (vault.root / "vault.json").write_text(json.dumps({"format": "reclaim-vault", "version": 1, "key": {}}))
    with pytest.raises(IntegrityError, match="vault.json: damaged vault header"):
        Vault.open(vault.root, "correct horse")
