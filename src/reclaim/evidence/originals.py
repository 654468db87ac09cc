"""Original media into the case's encrypted vault, and previews of it: blurred unless someone chooses to look.

Every vaulting and every read of media is a custody entry (the vault's ``on_read`` hook writes it before any
byte is decrypted, so a failed log write blocks the read). An unblurred view is its own action,
``media.unblurred``, so the log shows who looked at what.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image
from sqlalchemy.orm import Session

from reclaim.errors import NotFound
from reclaim.evidence.blur import blurred_thumbnail
from reclaim.evidence.bundle import file_sha256, media_path
from reclaim.evidence.casefiles import CaseFiles
from reclaim.evidence.manifest import build_manifest
from reclaim.evidence.report import split_items
from reclaim.media import Limits, decode_image
from reclaim.vault.store import Access, Vault

VAULTED = "media.vaulted"
UNBLURRED = "media.unblurred"


@dataclass(frozen=True)
class Acquired:
    stored: int
    already: int
    unavailable: list[str]  # locators whose file is gone or changed since the scan


def open_vault(files: CaseFiles, passphrase: str, actor: str) -> Vault:
    """The case vault (created on first use), with every read written to the custody log."""

    def audit(access: Access) -> None:
        files.record(access.actor, access.action, access.sha256, {"detail": access.detail} if access.detail else {})

    if (files.vault_path / "vault.json").exists():
        return Vault.open(files.vault_path, passphrase, on_read=audit)
    vault = Vault.create(files.vault_path, passphrase, on_read=audit)
    files.record(actor, "vault.created", None, {"path": files.vault_path.name})  # once it exists
    return vault


def acquire_originals(session: Session, files: CaseFiles, passphrase: str, actor: str) -> Acquired:
    """Copy every flagged item's original into the vault, if the file still has the sha256 it was found with."""
    vault = open_vault(files, passphrase, actor)
    flagged, _ = split_items(build_manifest(session, files.case_name, actor=actor))
    stored, already, unavailable, entries = 0, 0, [], []
    for record in flagged:
        sha = record["sha256"]
        if sha and vault.contains(sha):
            already += 1
            continue
        path = media_path(record)
        if path is None or not sha or file_sha256(path) != sha:
            unavailable.append(record["locator"])
            continue
        vault.put_file(path)
        stored += 1
        entries.append((VAULTED, sha, {"locator": record["locator"]}))
    if entries:
        files.record_many(actor, entries)
    return Acquired(stored, already, unavailable)


def vault_upload(files: CaseFiles, data: bytes, passphrase: str, actor: str, filename: str) -> str:
    """Keep uploaded bytes in the case vault (someone asked to); returns their sha256, logged as media.vaulted."""
    vault = open_vault(files, passphrase, actor)
    sha = vault.put_bytes(data)
    files.record(actor, VAULTED, sha, {"upload": filename[:200]})
    return sha


def preview(files: CaseFiles, sha256: str, passphrase: str, actor: str, *, unblur: bool = False) -> bytes:
    """JPEG of a vaulted item: a blurred thumbnail, or (logged as media.unblurred) the real picture."""
    vault = open_vault(files, passphrase, actor)
    if not vault.contains(sha256):
        raise NotFound(f"case {files.case_name}: {sha256[:16]}… is not in the vault (run 'reclaim evidence acquire')")
    if unblur:
        files.record(actor, UNBLURRED, sha256, {"reason": "explicit --unblur"})
    data = vault.get_bytes(sha256, actor=actor)
    decoded = decode_image(data, f"vault object {sha256[:16]}", Limits())
    image = Image.fromarray(decoded.rgb)
    if not unblur:
        return blurred_thumbnail(image)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


