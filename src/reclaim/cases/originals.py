"""An item's original bytes, only if they are the evidence: the one rule every preview follows (DESIGN rule 5).

A preview, a thumbnail, an attribution figure or a copy into a bundle is made only from bytes whose sha256 is
the item's. They come from the case vault when it holds a copy, else from where the scan found the file, and
only if that place is still inside the scan's root:

- a folder item is its locator, resolved (symlinks followed) and required to stay under the scanned folder, so
  a symlink the scan refused is not followed now;
- a chat-export item is its ``media_path`` under the export's folder (the folder of ``result.json``), with the
  same check;
- an item read from an archive (a zipped export too) existed only in the scan's private spool: it has no place
  on disk now, and is never looked for next to the archive.

Anything else (the file is gone, was replaced, left the root, is too big to hold) is ``Unavailable`` with a
reason a reviewer can read ("original not available: ..."), never an exception and never other bytes.

It lives in ``cases`` because it reads the store's items and the vault, and both ``evidence`` (bundles) and
``server`` (web previews) sit above it in the layers.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from reclaim.errors import ReclaimError
from reclaim.media import Limits
from reclaim.store.models import Item, Scan
from reclaim.vault.store import Vault

log = logging.getLogger(__name__)
_CHUNK = 1 << 20


@dataclass(frozen=True)
class Original:
    """Bytes whose sha256 is the item's; ``path`` is the file they were read from (None for a vault copy)."""

    data: bytes
    sha256: str
    source: str  # "vault" or "file"
    path: Path | None = None


@dataclass(frozen=True)
class Unavailable:
    """Why there is no original to show; ``message`` is the line to show in its place."""

    reason: str

    @property
    def message(self) -> str:
        return f"original not available: {self.reason}"


def verified_original(sha256: str | None, locator: str, context: Mapping[str, Any], scan_target: str | None, *,
                      vault: Vault | None = None, actor: str = "reclaim", max_bytes: int = Limits().max_file_bytes
                      ) -> Original | Unavailable:
    """The item's original bytes if their sha256 equals ``sha256`` (vault copy first), else ``Unavailable``.

    ``locator``, ``context`` and ``scan_target`` are what the scan recorded (``Item.locator``, ``Item.context``,
    ``Scan.target``); ``actor`` is written to the custody log when the vault is read.
    """
    if not sha256:
        return Unavailable("the item has no sha256 (it was not read)")
    sha256 = sha256.lower()
    if vault is not None and vault.contains(sha256):
        try:
            data = vault.get_bytes(sha256, actor=actor)
        except ReclaimError as exc:
            log.warning("vault copy of %s cannot be read: %s", sha256, exc)
        else:
            if hashlib.sha256(data).hexdigest() == sha256:
                return Original(data, sha256, "vault")
            log.error("vault copy of %s does not hash to its name", sha256)
    path = recorded_path(locator, context, scan_target)
    if isinstance(path, Unavailable):
        return path
    return _read_verified(path, sha256, max_bytes)


def item_original(session: Session, item: Item, *, vault: Vault | None = None, actor: str = "reclaim"
                  ) -> Original | Unavailable:
    """``verified_original`` for a stored item (the server's previews)."""
    scan = session.get(Scan, item.scan_id)
    return verified_original(item.sha256, item.locator, dict(item.context or {}), scan.target if scan else None,
                             vault=vault, actor=actor)


def recorded_path(locator: str, context: Mapping[str, Any], scan_target: str | None) -> Path | Unavailable:
    """Where the scan found the item's file, resolved, if that is still inside the scan's root."""
    if not scan_target:
        return Unavailable("the scan that found it is not recorded")
    if context.get("source") == "archive" or locator.startswith("archive:"):
        return Unavailable("it was read from inside an archive (keep it with 'reclaim evidence acquire' while "
                           "scanning)")
    target = Path(scan_target)
    relative = context.get("media_path")
    if relative:  # a chat export: media paths are relative to the export's folder
        if target.is_dir():
            root = target
        elif target.suffix.lower() == ".json":
            root = target.parent
        else:  # an archive holding the export: its media existed only while the scan read it
            return Unavailable("it was read from inside an archive")
        candidate = root / str(relative)
    else:
        candidate = Path(locator)
        if not candidate.is_absolute():
            return Unavailable("its source keeps no file on this machine")
        root = target if target.is_dir() else target.parent
        if not target.is_dir() and candidate != target:
            return Unavailable("it is not the file the scan was given")
    try:
        real_root = root.resolve(strict=True)
        resolved = candidate.resolve(strict=True)
    except (OSError, RuntimeError):
        return Unavailable("the file is no longer where the scan found it")
    if not resolved.is_relative_to(real_root):
        return Unavailable("its path now leads outside the scanned folder")
    return resolved


def _read_verified(path: Path, sha256: str, max_bytes: int) -> Original | Unavailable:
    """Read ``path`` (not through a symlink) and return it only if it hashes to ``sha256``."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError as exc:
        return Unavailable(f"the file cannot be opened ({exc.strerror or exc})")
    digest, chunks, total = hashlib.sha256(), [], 0
    with os.fdopen(fd, "rb") as fh:
        while block := fh.read(_CHUNK):
            total += len(block)
            if total > max_bytes:
                return Unavailable(f"the file is over {max_bytes:,} bytes")
            digest.update(block)
            chunks.append(block)
    if digest.hexdigest() != sha256:
        return Unavailable("the file has changed since the scan (its sha256 differs)")
    return Original(b"".join(chunks), sha256, "file", path)
