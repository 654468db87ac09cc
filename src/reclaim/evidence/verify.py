"""``reclaim evidence verify``: check a bundle on a machine that has never seen the case.

Everything is recomputed from the zip alone: the manifest's signature against the bundled public key, every
listed file's sha256, the custody chain and its signed head, the link from the custody log's export entry
to this manifest, and (with the export passphrase) every encrypted original. Each problem is reported as
one precise line; nothing stops at the first.

A valid signature proves only that *some* key signed: anyone can re-sign a forged bundle with a key of their
own. So the key's full fingerprint is reported for the reader to confirm out of band (with whoever exported
it), or checked against ``expect_key``. The zip itself is checked too: a name that appears twice (``unzip``
shows the first copy, Python reads the last), a folder entry or any member the manifest does not list fails.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from reclaim.errors import IntegrityError, ReclaimError, UnreadableFile, UserError
from reclaim.evidence.bundle import EXPORTED, FIXED_MEMBERS, SIGNATURE_FORMAT
from reclaim.evidence.chain import read_entries, verify_log
from reclaim.evidence.signing import VerifyKey
from reclaim.vault.store import Vault


@dataclass
class Verification:
    bundle: Path
    problems: list[str] = field(default_factory=list)
    key_fingerprint: str | None = None
    key_expected: bool = False  # the key was checked against the one the reader expected
    items: int = 0
    files_checked: int = 0
    custody_entries: int = 0
    originals_checked: int = 0
    originals_present: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_bundle(path: Path, originals_passphrase: str | None = None, *, expect_key: str | None = None
                  ) -> Verification:
    """Check the bundle at ``path``; ``expect_key`` (a fingerprint, as ``evidence verify`` prints it) fails it
    unless the bundle is signed by that key."""
    result = Verification(path)
    try:
        zf = zipfile.ZipFile(path)
    except FileNotFoundError as exc:
        raise UnreadableFile(f"{path}: no such file") from exc
    except (zipfile.BadZipFile, OSError) as exc:
        raise IntegrityError(f"{path}: not a readable zip archive ({exc})") from exc
    with zf:
        members = _members(zf, result)
        missing = [m for m in FIXED_MEMBERS if m not in members]
        if missing:
            result.problems.append(f"{path}: missing {', '.join(missing)}; cannot verify further")
            return result
        key = _public_key(members, result)
        if expect_key is not None:
            _check_expected(key, expect_key, result)
        manifest = _manifest(members, key, result)
        if manifest is None:
            return result
        result.items = len(manifest.get("items", []))
        _check_files(members, manifest, result)
        _check_custody(members, key, result)
        if originals_passphrase is not None:
            _check_originals(members, manifest, originals_passphrase, result)
        result.originals_present = sum(1 for m in members if m.startswith("originals/") and m.endswith(".enc"))
    return result


def _members(zf: zipfile.ZipFile, result: Verification) -> dict[str, bytes]:
    members: dict[str, bytes] = {}
    for info in zf.infolist():
        name = PurePosixPath(info.filename)
        if name.is_absolute() or ".." in name.parts:
            result.problems.append(f"{info.filename!r}: member path escapes the bundle; not read")
            continue
        if info.is_dir() or "\\" in info.filename or name.as_posix() != info.filename:
            result.problems.append(f"{info.filename!r}: unexpected entry (an export writes only plain file names)")
            continue
        if info.filename in members:
            result.problems.append(f"{info.filename}: appears twice in the zip (unzip and other tools may show "
                                   "the other copy); a bundle never holds duplicates")
            continue
        try:
            members[info.filename] = zf.read(info)
        except (zipfile.BadZipFile, OSError, RuntimeError, ValueError, EOFError) as exc:
            result.problems.append(f"{info.filename}: cannot be read from the zip ({exc})")
    return members


def normalise_fingerprint(text: str) -> str:
    """A fingerprint as typed (any case, with spaces or colons) -> 64 lowercase hex digits, or UserError."""
    cleaned = "".join(c for c in text.lower() if c not in " :-")
    if len(cleaned) != 64 or any(c not in "0123456789abcdef" for c in cleaned):
        raise UserError(f"--expect-key: {text!r} is not a key fingerprint (64 hex digits) nor a public key file")
    return cleaned


def _check_expected(key: VerifyKey | None, expected: str, result: Verification) -> None:
    if key is None:
        return  # already a problem: no readable key
    if key.fingerprint != normalise_fingerprint(expected):
        result.problems.append(f"public_key.pem: the bundle is signed by key {key.fingerprint}, not the expected "
                               f"key {normalise_fingerprint(expected)}; it was not exported by that key's holder")
    else:
        result.key_expected = True


def _public_key(members: dict[str, bytes], result: Verification) -> VerifyKey | None:
    try:
        key = VerifyKey.from_pem(members["public_key.pem"], "public_key.pem")
    except ReclaimError as exc:
        result.problems.append(exc.message)
        return None
    result.key_fingerprint = key.fingerprint
    return key


def _manifest(members: dict[str, bytes], key: VerifyKey | None, result: Verification) -> dict[str, Any] | None:
    data = members["manifest.json"]
    try:
        signature = json.loads(members["manifest.sig"])
        if signature.get("format") != SIGNATURE_FORMAT:
            raise ValueError(f"format is {signature.get('format')!r}")
        if key is not None and signature.get("public_key") != key.hex:
            result.problems.append("manifest.sig: names a different public key than public_key.pem")
        if key is not None:
            key.verify(bytes.fromhex(signature["signature"]), data, "manifest.json")
    except IntegrityError:
        result.problems.append("manifest.json: signature does not match (the manifest or manifest.sig was changed)")
    except (ValueError, KeyError, TypeError) as exc:
        result.problems.append(f"manifest.sig: unreadable ({exc})")
    try:
        manifest = json.loads(data)
    except ValueError as exc:
        result.problems.append(f"manifest.json: not valid JSON ({exc})")
        return None
    if not isinstance(manifest, dict):
        result.problems.append("manifest.json: not a JSON object")
        return None
    return manifest


def _check_files(members: dict[str, bytes], manifest: dict[str, Any], result: Verification) -> None:
    listed: dict[str, str] = manifest.get("files", {})
    for name, expected in sorted(listed.items()):
        if name not in members:
            result.problems.append(f"{name}: listed in the manifest but missing from the bundle")
        elif hashlib.sha256(members[name]).hexdigest() != expected:
            result.problems.append(f"{name}: sha256 differs from the manifest (the file was changed)")
        else:
            result.files_checked += 1
    for name in sorted(set(members) - set(listed) - set(FIXED_MEMBERS)):
        result.problems.append(f"{name}: in the bundle but not listed in the manifest (added later?)")


def _check_custody(members: dict[str, bytes], key: VerifyKey | None, result: Verification) -> None:
    manifest_sha = hashlib.sha256(members["manifest.json"]).hexdigest()
    with tempfile.TemporaryDirectory(prefix="reclaim-verify-") as tmp:
        log = Path(tmp) / "custody.jsonl"
        log.write_bytes(members["custody.jsonl"])
        log.with_suffix(".sig").write_bytes(members["custody.sig"])
        try:
            if key is not None:
                verify_log(log, key)
            entries = read_entries(log)
        except ReclaimError as exc:
            result.problems.append(f"custody log: {exc.message}")
            return
    result.custody_entries = len(entries)
    exports = [e for e in entries if e.action == EXPORTED]
    if not exports or exports[-1].object_sha256 != manifest_sha:
        result.problems.append("custody log: its last export entry does not name this manifest "
                               f"(sha256 {manifest_sha[:16]}…); the manifest or the log was swapped")


def _check_originals(members: dict[str, bytes], manifest: dict[str, Any], passphrase: str,
                     result: Verification) -> None:
    originals = {n: d for n, d in members.items() if n.startswith("originals/")}
    if not originals:
        return
    expected = {i["sha256"] for i in manifest.get("items", []) if i.get("sha256")}
    with tempfile.TemporaryDirectory(prefix="reclaim-verify-") as tmp:
        root = Path(tmp) / "originals"
        for name, data in originals.items():
            target = root / PurePosixPath(name).relative_to("originals")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        try:
            vault = Vault.open(root, passphrase)
            for sha in vault.list():
                data = vault.get_bytes(sha, actor="verify")
                if hashlib.sha256(data).hexdigest() != sha or sha not in expected:
                    result.problems.append(f"originals/{sha[:16]}…: not an item of this manifest")
                else:
                    result.originals_checked += 1
        except ReclaimError as exc:
            result.problems.append(f"originals: {exc.message}")
