"""Each case's evidence folder under RECLAIM_HOME: its Ed25519 key, its custody log and its vault.

``cases/<slug>/case.key`` is written mode 0600 without a passphrase, so scans and reviews can append to the
custody log unattended; it attests that this installation wrote the log, and RECLAIM_HOME must be protected
like an SSH key folder. Media in the vault is encrypted separately, under the case passphrase.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reclaim.evidence.custody import CustodyLog
from reclaim.evidence.signing import SigningKey, VerifyKey
from reclaim.store.db import private_dir, reclaim_home


def case_slug(case_name: str) -> str:
    """A file-system-safe, collision-free folder name for any case name."""
    readable = re.sub(r"[^A-Za-z0-9._-]+", "-", case_name).strip("-.")[:40] or "case"
    return f"{readable}-{hashlib.sha256(case_name.encode()).hexdigest()[:8]}"


@dataclass(frozen=True)
class CaseFiles:
    case_name: str
    root: Path

    @classmethod
    def for_case(cls, case_name: str, home: Path | None = None) -> CaseFiles:
        return cls(case_name, (home or reclaim_home()) / "cases" / case_slug(case_name))

    @property
    def key_path(self) -> Path:
        return self.root / "case.key"

    @property
    def log_path(self) -> Path:
        return self.root / "custody.jsonl"

    @property
    def vault_path(self) -> Path:
        return self.root / "vault"

    def signing_key(self) -> SigningKey:
        """The case key, made on first use."""
        if not self.key_path.exists():
            private_dir(self.root)
            SigningKey.generate().save(self.key_path, None, allow_unencrypted=True)
        return SigningKey.load(self.key_path, None)

    def public_key(self) -> VerifyKey:
        return self.signing_key().public_key

    def custody(self, actor: str) -> CustodyLog:
        """The case's custody log, created (first entry: custody.created) on first use."""
        key = self.signing_key()
        if self.log_path.exists():
            return CustodyLog.open(self.log_path, key)
        return CustodyLog.create(self.log_path, key, actor=actor)

    def record(self, actor: str, action: str, object_sha256: str | None = None,
               details: dict[str, Any] | None = None) -> None:
        self.custody(actor).append(actor, action, object_sha256, details or {})

    def record_many(self, actor: str, entries: Iterable[tuple[str, str | None, dict[str, Any]]]) -> int:
        """Append several (action, sha256, details) entries under one lock, fsync and signature."""
        count = 0
        log = self.custody(actor)
        with log.batch() as add:
            for action, sha, details in entries:
                add(actor, action, sha, details)
                count += 1
        return count
