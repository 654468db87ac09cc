"""The custody log's formats and its verifier: what an entry and a signed head are, and how to check both.

``custody.jsonl``: one entry per line, UTF-8, each line the canonical JSON (keys sorted, no spaces,
``ensure_ascii=False``; the same bytes as RFC 8785 for data without floats) of::

    {"action": "item.acquired", "actor": "officer kim", "details": {...}, "entry_hash": "<64 hex>",
     "object_sha256": "<64 hex>" | null, "prev_hash": "<64 hex>", "seq": 1, "time": "2026-07-01T09:00:00.123456Z"}

``entry_hash`` = sha256 of the canonical JSON of the other seven fields; ``prev_hash`` is the previous
entry's ``entry_hash`` (64 zeros for seq 1); ``seq`` counts from 1 without gaps.

``custody.sig`` (the log path with suffix ``.sig``): JSON ``{"format": "reclaim-custody-head", "version": 1,
"seq": N, "head_hash": "<entry_hash of seq N>", "signed_at": "<UTC>", "public_key": "<raw Ed25519 hex>",
"signature": "<hex>"}``; the signature is Ed25519 over the canonical JSON of every field but ``signature``.
Verification needs only these two files and the case's public key (see :func:`verify_log`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from hashlib import sha256
from pathlib import Path
from typing import Any

from reclaim._files import read_versioned_json
from reclaim.errors import IntegrityError
from reclaim.evidence.signing import VerifyKey

GENESIS_HASH = "0" * 64
HEAD_FORMAT = "reclaim-custody-head"
_HEX64 = re.compile(r"[0-9a-f]{64}")
_FIELDS = {"seq", "time", "actor", "action", "object_sha256", "details", "prev_hash", "entry_hash"}


def canonical(obj: Any) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


@dataclass(frozen=True)
class Entry:
    """One custody event. Build new ones with :meth:`make`, which computes ``entry_hash``."""

    seq: int
    time: str
    actor: str
    action: str
    object_sha256: str | None
    details: dict[str, Any]
    prev_hash: str
    entry_hash: str

    @classmethod
    def make(cls, seq: int, time: str, actor: str, action: str, sha: str | None, details: dict[str, Any],
             prev: str) -> Entry:
        unhashed = cls(seq, time, actor, action, sha, details, prev, entry_hash="")
        return replace(unhashed, entry_hash=unhashed.computed_hash())

    def line(self) -> bytes:
        return canonical({**self._body(), "entry_hash": self.entry_hash}) + b"\n"

    def computed_hash(self) -> str:
        return sha256(canonical(self._body())).hexdigest()

    def _body(self) -> dict[str, Any]:
        return {"seq": self.seq, "time": self.time, "actor": self.actor, "action": self.action,
                "object_sha256": self.object_sha256, "details": self.details, "prev_hash": self.prev_hash}

    @classmethod
    def parse(cls, line: bytes, where: str) -> Entry:
        """Parse one line (without its newline) or raise IntegrityError naming ``where``."""
        try:
            data = json.loads(line)
        except ValueError as exc:
            raise IntegrityError(f"{where}: not a valid JSON entry ({exc})") from exc
        if not isinstance(data, dict) or set(data) != _FIELDS:
            raise IntegrityError(f"{where}: not a custody entry (fields differ)")
        sha = data["object_sha256"]
        ok = (
            type(data["seq"]) is int and isinstance(data["time"], str) and isinstance(data["actor"], str)
            and isinstance(data["action"], str) and isinstance(data["details"], dict)
            and (sha is None or (isinstance(sha, str) and _HEX64.fullmatch(sha) is not None))
            and all(isinstance(data[k], str) and _HEX64.fullmatch(data[k]) for k in ("prev_hash", "entry_hash"))
        )
        if not ok:
            raise IntegrityError(f"{where}: a custody entry field has the wrong type or form")
        return cls(**data)


@dataclass(frozen=True)
class SignedHead:
    """The contents of ``custody.sig``: which head was signed, when, by which key."""

    seq: int
    head_hash: str
    signed_at: str
    public_key: str
    signature: str = field(repr=False)

    def message(self) -> bytes:
        return canonical({"format": HEAD_FORMAT, "version": 1, "seq": self.seq, "head_hash": self.head_hash,
                          "signed_at": self.signed_at, "public_key": self.public_key})

    def to_json(self) -> bytes:
        return canonical({**json.loads(self.message()), "signature": self.signature}) + b"\n"

    @classmethod
    def read(cls, path: Path) -> SignedHead:
        data = read_versioned_json(path, HEAD_FORMAT, 1, what="custody head signature: the log head is unsigned")
        try:
            del data["format"], data["version"]
            head = cls(**data)
            if type(head.seq) is not int or not _HEX64.fullmatch(head.head_hash):
                raise ValueError("seq or head_hash malformed")
        except (AttributeError, KeyError, TypeError, ValueError) as exc:
            raise IntegrityError(f"{path}: not a custody head signature ({exc})") from exc
        return head


def sig_path(log: Path) -> Path:
    return log.with_suffix(".sig")


def iter_entries(log: Path, *, allow_torn_tail: bool = False) -> Iterator[Entry]:
    """Parse every line; a line without its newline is a crash mid-append and an error unless allowed."""
    if not log.is_file():
        raise IntegrityError(f"{log}: custody log missing")
    with open(log, "rb") as fh:
        for number, line in enumerate(fh, 1):
            if not line.endswith(b"\n"):
                if allow_torn_tail:
                    return
                raise IntegrityError(f"{log} line {number}: incomplete last line (a crash mid-append); "
                                     "open the log with its key to repair it")
            yield Entry.parse(line[:-1], f"{log} line {number}")


def check_chain(log: Path, entries: Iterator[Entry]) -> tuple[int, str]:
    """Walk the hash chain; return (last seq, last entry_hash) or raise at the first broken link."""
    seq, head = 0, GENESIS_HASH
    for number, entry in enumerate(entries, 1):
        if entry.computed_hash() != entry.entry_hash:
            raise IntegrityError(f"{log} line {number}: entry seq {entry.seq} was changed (hash mismatch)")
        if entry.seq != seq + 1:
            raise IntegrityError(f"{log} line {number}: expected seq {seq + 1}, found seq {entry.seq} "
                                 "(an entry was removed, inserted or reordered)")
        if entry.prev_hash != head:
            raise IntegrityError(f"{log} seq {entry.seq}: prev_hash does not match the hash of seq {seq} "
                                 "(an entry was removed, inserted or reordered)")
        seq, head = entry.seq, entry.entry_hash
    return seq, head


def check_head(log: Path, signed: SignedHead, public_key: VerifyKey) -> None:
    """The signature is by the expected key and valid."""
    where = sig_path(log)
    if signed.public_key != public_key.hex:
        raise IntegrityError(f"{where}: signed by key {signed.public_key[:16]}…, not the case key "
                             f"{public_key.hex[:16]}… (fingerprint {public_key.fingerprint[:16]})")
    try:
        signature = bytes.fromhex(signed.signature)
    except (TypeError, ValueError) as exc:
        raise IntegrityError(f"{where}: signature is not hex") from exc
    public_key.verify(signature, signed.message(), str(where))


def compare_head(log: Path, signed: SignedHead, seq: int, head: str) -> None:
    """The log ends exactly where the signature says it does."""
    if seq < signed.seq:
        raise IntegrityError(f"{log}: truncated: the head signature covers seq {signed.seq} "
                             f"but the log ends at seq {seq}")
    if seq > signed.seq:
        raise IntegrityError(f"{log}: entries seq {signed.seq + 1}..{seq} are not covered by the head signature "
                             f"(signed head is seq {signed.seq})")
    if head != signed.head_hash:
        raise IntegrityError(f"{log} seq {seq}: entry hash differs from the signed head hash (the log was rewritten)")


def verify_log(log: Path, public_key: VerifyKey) -> None:
    """Return if the log and its head signature are intact and by ``public_key``; else raise IntegrityError."""
    if not log.is_file():
        raise IntegrityError(f"{log}: custody log missing")
    signed = SignedHead.read(sig_path(log))
    check_head(log, signed, public_key)
    seq, head = check_chain(log, iter_entries(log))
    compare_head(log, signed, seq, head)


def read_entries(log: Path) -> list[Entry]:
    """Every entry, parsed but not verified (call :func:`verify_log` first for evidence use)."""
    return list(iter_entries(log))
