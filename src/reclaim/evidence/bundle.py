"""``reclaim evidence export``: one zip a court, a police unit or a platform can check on its own.

Layout::

    manifest.json      every item (hashes, where/when found, poster/chat, matches, review) + "files": {path: sha256}
    manifest.sig       Ed25519 signature of manifest.json by the case key (JSON, see SIGNATURE_FORMAT)
    public_key.pem     the case's public key
    custody.jsonl/.sig the case's hash-chained custody log and its signed head; its last entry is this export,
                       naming sha256(manifest.json)
    report.html/.pdf   the human report (Korean and English), built from the manifest
    thumbnails/        blurred previews of the flagged items, <sha256>.jpg
    attribution/       for items whose face was taken from a victim's own photo: the overlay, <sha256>.png
    originals/         only when asked: a Reclaim vault (AES-256-GCM) under the export passphrase

Every file other than the manifest, its signature, the key and the custody pair is listed in ``files``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image
from sqlalchemy.orm import Session

from reclaim._files import atomic_path
from reclaim.cases import get_case
from reclaim.cases.frames import best_frame_times
from reclaim.cases.originals import Original, Unavailable, recorded_path, verified_original
from reclaim.errors import MediaError, UserError
from reclaim.evidence.acquisition import record_acquisitions
from reclaim.evidence.attribution_figures import attribution_figures
from reclaim.evidence.blur import blurred_thumbnail
from reclaim.evidence.casefiles import CaseFiles
from reclaim.evidence.chain import canonical
from reclaim.evidence.manifest import build_manifest
from reclaim.evidence.report import find_korean_font, render_html, render_pdf, split_items
from reclaim.media import Limits
from reclaim.media.still import still_pixels
from reclaim.vault.store import Vault

log = logging.getLogger(__name__)
SIGNATURE_FORMAT = "reclaim-manifest-signature"
EXPORTED = "evidence.exported"
FIXED_MEMBERS = ("manifest.json", "manifest.sig", "public_key.pem", "custody.jsonl", "custody.sig")


@dataclass(frozen=True)
class ExportResult:
    path: Path
    items: int
    flagged: int
    thumbnails: int
    originals: int
    pdf: bool
    manifest_sha256: str


def export_bundle(session: Session, files: CaseFiles, out: Path, *, actor: str,
                  originals_passphrase: str | None = None, photos: Vault | None = None) -> ExportResult:
    """Write the bundle to ``out``; originals are included only when a passphrase to encrypt them is given,
    attribution figures only when the enrolled photos' vault (``photos``) is open."""
    if out.exists() and out.is_dir():
        raise UserError(f"{out}: is a folder; give the bundle's file name, e.g. {out / 'bundle.zip'}")
    record_acquisitions(session, files, actor)
    manifest = build_manifest(session, files.case_name, actor=actor)
    flagged, _ = split_items(manifest)
    payload: dict[str, bytes] = {}
    thumbs: dict[str, bytes] = {}
    times = best_frame_times(session, get_case(session, files.case_name).id)  # a video's best face frame
    with tempfile.TemporaryDirectory(prefix="reclaim-export-") as tmp:
        for record in flagged:
            image = _load_media(record, times.get(record["locator"]))
            if image is not None and record["sha256"]:
                thumbs[record["sha256"]] = blurred_thumbnail(image)
        for sha, jpeg in thumbs.items():
            payload[f"thumbnails/{sha}.jpg"] = jpeg
        victims = [v["name"] for v in manifest["case"]["victims"]]
        attributions, figures = attribution_figures(session, flagged, victims, actor=actor, original=record_original,
                                                    photos=photos, frame_times=times)
        for record in manifest["items"]:
            record["attribution"] = attributions.get(record["sha256"] or "")
        for sha, png in figures.items():
            payload[f"attribution/{sha}.png"] = png
        payload["report.html"] = render_html(manifest, {s: f"thumbnails/{s}.jpg" for s in thumbs}).encode()
        pdf = _pdf_available()
        if pdf:
            payload["report.pdf"] = render_pdf(manifest, thumbs)
        originals = 0
        if originals_passphrase:
            originals = _add_originals(flagged, Path(tmp) / "originals", originals_passphrase, payload)
        manifest["files"] = {name: hashlib.sha256(data).hexdigest() for name, data in sorted(payload.items())}
        manifest_bytes = json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True).encode()
        manifest_sha = hashlib.sha256(manifest_bytes).hexdigest()
        files.record(actor, EXPORTED, manifest_sha, {
            "bundle": out.name, "items": len(manifest["items"]), "flagged": len(flagged),
            "originals": originals, "thumbnails": len(thumbs),
        })
        key = files.signing_key()
        signature = {"format": SIGNATURE_FORMAT, "version": 1, "manifest_sha256": manifest_sha,
                     "public_key": key.public_key.hex, "signature": key.sign(manifest_bytes).hex()}
        members = {
            "manifest.json": manifest_bytes,
            "manifest.sig": canonical(signature) + b"\n",
            "public_key.pem": key.public_key.pem(),
            "custody.jsonl": files.log_path.read_bytes(),
            "custody.sig": files.log_path.with_suffix(".sig").read_bytes(),
            **payload,
        }
        _write_zip(out, members)
    return ExportResult(out, len(manifest["items"]), len(flagged), len(thumbs), originals, pdf, manifest_sha)


def record_original(record: dict[str, Any]) -> Original | Unavailable:
    """The manifest record's original bytes, only if they hash to its sha256 (``verified_original``)."""
    return verified_original(record["sha256"], record["locator"], record["context"], record.get("scan_target"))


def _load_media(record: dict[str, Any], at: float | None = None) -> Image.Image | None:
    """The item's pixels for its blurred preview, only from bytes that are the evidence; a video's or
    animation's frame at ``at`` seconds (its best face frame), else its first frame."""
    original = record_original(record)
    if isinstance(original, Unavailable):
        log.info("no preview of %s: %s", record["locator"], original.message)
        return None
    try:
        rgb, _ = still_pixels(original.data, record["locator"], at, Limits())
    except MediaError as exc:
        log.info("no preview of %s: %s", record["locator"], exc)
        return None
    return Image.fromarray(rgb)


def media_path(record: dict[str, Any]) -> Path | None:
    """Where the scan found the item, if still inside the scan's root; its bytes are NOT checked (previews use
    ``verified_original``)."""
    place = recorded_path(record["locator"], record["context"], record.get("scan_target"))
    return None if isinstance(place, Unavailable) else place


def _pdf_available() -> bool:
    try:
        import reportlab  # noqa: F401

        find_korean_font()
    except (ImportError, UserError):
        return False
    return True


def _add_originals(flagged: list[dict[str, Any]], folder: Path, passphrase: str, payload: dict[str, bytes]) -> int:
    vault = Vault.create(folder, passphrase)
    count = 0
    for record in flagged:
        original = record_original(record)
        if isinstance(original, Original):  # unchanged since it was found
            vault.put_bytes(original.data)
            count += 1
    for file in sorted(p for p in folder.rglob("*") if p.is_file() and "tmp" not in p.relative_to(folder).parts):
        if file.name.endswith(".lock"):
            continue
        payload[f"originals/{file.relative_to(folder).as_posix()}"] = file.read_bytes()
    return count


def file_sha256(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _write_zip(out: Path, members: dict[str, bytes]) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(out) as temp, zipfile.ZipFile(temp, "w") as zf:
        for name in list(FIXED_MEMBERS) + sorted(set(members) - set(FIXED_MEMBERS)):
            compress = zipfile.ZIP_STORED if name.endswith((".jpg", ".enc")) else zipfile.ZIP_DEFLATED
            zf.writestr(zipfile.ZipInfo(name, date_time=(2000, 1, 1, 0, 0, 0)), members[name], compress_type=compress)
