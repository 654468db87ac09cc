"""Append-only, hash-chained custody log per case, its head signed with the case key (formats: chain.py).

Why each step: an append writes the whole line in one ``write`` then ``flush`` + ``fsync`` before the head
signature moves, and ``custody.sig`` is replaced by write-temp-then-rename + directory fsync, so after a
crash the log holds every acknowledged entry and the signature is the old or the new one, never a mix.
Appends hold an ``fcntl`` lock on ``custody.lock``, so two processes never interleave lines or reuse a seq.

Recovery, done under the lock when a log is opened or appended to and its tail does not match the signed
head (only after a crash, or tampering):

- first every complete line is checked: a broken chain, a log shorter than the signed head, a signed entry
  that changed, or a head signed by another key raise IntegrityError, and nothing is written;
- a last line without its newline is an append that never returned: its bytes are cut from the log and
  kept, hex-encoded with their offset, length, sha256 and time, in ``custody.torn``; earlier lines stay;
- complete entries after the signed head (killed between the log fsync and the signature rename) are kept;
- what was done is logged as a ``custody.recovered`` entry (actor ``reclaim``), then the head is signed.
  Temporary signature files left by a killed writer are deleted when the log is opened.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from hashlib import sha256
from pathlib import Path
from typing import Any

from reclaim._files import atomic_write, fsync_dir, locked, open_or_fail, remove_dead_temps
from reclaim.errors import AlreadyExists, ExternalError, IntegrityError, NotFound, UserError
from reclaim.evidence.chain import (
    GENESIS_HASH,
    Entry,
    SignedHead,
    canonical,
    check_chain,
    check_head,
    iter_entries,
    read_entries,
    sig_path,
    verify_log,
)
from reclaim.evidence.signing import SigningKey
from reclaim.store.db import private_dir

LOG_FORMAT = "reclaim-custody/1"
Append = Callable[..., Entry]


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


class CustodyLog:
    """A case's custody log, opened for appending with the case's signing key."""

    def __init__(self, path: Path, key: SigningKey) -> None:
        self.path = path
        self.key = key
        self.recovered: dict[str, Any] = {}  # what the last recovery did; empty if none was needed
        self._lock = path.with_suffix(".lock")
        self._known: tuple[int, int, str] | None = None  # (file size, seq, head hash) after our last commit

    @classmethod
    def create(cls, path: Path, key: SigningKey, *, actor: str) -> CustodyLog:
        """A new log whose first entry records the format and the signing key's fingerprint."""
        private_dir(path.parent)
        log = cls(path, key)
        with locked(log._lock):
            try:
                os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))  # who did what: private
            except FileExistsError as exc:
                raise AlreadyExists(f"{path}: a custody log is already there") from exc
            fsync_dir(path.parent)
            with log._appending(0, GENESIS_HASH) as add:
                details = {"format": LOG_FORMAT, "key_fingerprint": key.public_key.fingerprint}
                add(actor, "custody.created", None, details)
        return log

    @classmethod
    def open(cls, path: Path, key: SigningKey) -> CustodyLog:
        """Open for appending, repairing a crash if one happened (see the module docstring)."""
        if not path.is_file():
            raise NotFound(f"{path}: no custody log")
        log = cls(path, key)
        with locked(log._lock):
            remove_dead_temps(path.parent)  # a signature write cut short by a kill
            log._head()
        return log

    def append(self, actor: str, action: str, object_sha256: str | None = None,
               details: dict[str, Any] | None = None) -> Entry:
        """Append one entry durably and sign the new head; returns the entry as stored."""
        with self.batch() as add:
            return add(actor, action, object_sha256, details)

    @contextmanager
    def batch(self) -> Iterator[Append]:
        """Append many entries under one lock, one fsync and one signature (bulk acquisitions, exports).

        Entries added before an exception inside the block are still committed: they record events that
        already happened.
        """
        with locked(self._lock):
            seq, head = self._head()
            with self._appending(seq, head) as add:
                yield add

    def entries(self) -> list[Entry]:
        return read_entries(self.path)

    def verify(self) -> None:
        verify_log(self.path, self.key.public_key)

    def _head(self) -> tuple[int, str]:
        """The last (seq, entry_hash), checked against the signed head; recovers when they disagree."""
        size = os.stat(self.path).st_size
        if self._known is not None and self._known[0] == size:
            return self._known[1], self._known[2]
        line, torn = _read_tail(self.path)
        sig = sig_path(self.path)
        if line and not torn and sig.exists():
            last = Entry.parse(line, f"{self.path} last line")
            signed = SignedHead.read(sig)
            ours = (last.seq, last.entry_hash, self.key.public_key.hex)
            if (signed.seq, signed.head_hash, signed.public_key) == ours:
                self._known = (size, last.seq, last.entry_hash)
                return last.seq, last.entry_hash
        return self._recover(torn)

    def _recover(self, torn: bytes) -> tuple[int, str]:
        """Check everything first, then cut a torn tail, log what was done and sign (module docstring)."""
        entries = list(iter_entries(self.path, allow_torn_tail=True))
        seq, head = check_chain(self.path, iter(entries))
        notes: dict[str, Any] = {}
        sig = sig_path(self.path)
        if sig.exists():
            signed = SignedHead.read(sig)
            check_head(self.path, signed, self.key.public_key)
            if seq < signed.seq:
                raise IntegrityError(f"{self.path}: truncated: the head signature covers seq {signed.seq} "
                                     f"but the log ends at seq {seq}")
            if signed.seq and entries[signed.seq - 1].entry_hash != signed.head_hash:
                raise IntegrityError(f"{self.path} seq {signed.seq}: entry hash differs from the signed head hash "
                                     "(the log was rewritten)")
            if seq > signed.seq:
                notes["unsigned_entries"] = [signed.seq + 1, seq]
        elif seq <= 1:  # killed inside create(), before its first signature
            notes["head_signature_missing"] = True
        else:
            raise IntegrityError(f"{sig}: missing, but the log has {seq} entries (the signature was removed)")
        if torn:
            notes["torn_tail"] = self._cut(torn)
        if notes:
            with self._appending(seq, head) as add:
                add("reclaim", "custody.recovered", None, notes)
            self.recovered = notes
            assert self._known is not None  # the append above recorded the new head
            seq, head = self._known[1], self._known[2]
        return seq, head

    def _cut(self, torn: bytes) -> dict[str, Any]:
        """Move an incomplete last line out of the log into ``custody.torn`` (kept for examination)."""
        offset = os.stat(self.path).st_size - len(torn)
        kept = self.path.with_suffix(".torn")
        record = {"found_at": utc_now(), "offset": offset, "length": len(torn), "sha256": sha256(torn).hexdigest()}
        try:
            with open(kept, "ab") as fh:
                fh.write(canonical({**record, "bytes_hex": torn.hex()}) + b"\n")
                fh.flush()
                os.fsync(fh.fileno())
            with open(self.path, "r+b") as fh:
                fh.truncate(offset)
                os.fsync(fh.fileno())
        except OSError as exc:
            raise ExternalError(f"{self.path}: cannot repair the torn last line: {exc.strerror or exc}") from exc
        return {**record, "kept_in": kept.name}

    @contextmanager
    def _appending(self, seq: int, head: str) -> Iterator[Append]:
        """Write entries after (seq, head); on exit fsync, sign the new head and remember it. Lock held."""
        state: list[Any] = [seq, head]
        with open_or_fail(self.path, "ab") as fh:

            def add(actor: str, action: str, object_sha256: str | None = None,
                    details: dict[str, Any] | None = None) -> Entry:
                entry = _new_entry(state[0] + 1, state[1], actor, action, object_sha256, details, self.path)
                fh.write(entry.line())
                state[:] = [entry.seq, entry.entry_hash]
                return entry

            try:
                yield add
            finally:
                try:
                    fh.flush()
                    os.fsync(fh.fileno())
                except OSError as exc:
                    raise ExternalError(f"{self.path}: cannot write: {exc.strerror or exc}") from exc
                if state[0] != seq:
                    self._sign(state[0], state[1])
                self._known = (fh.tell(), state[0], state[1])

    def _sign(self, seq: int, head: str) -> None:
        unsigned = SignedHead(seq, head, utc_now(), self.key.public_key.hex, "")
        signature = self.key.sign(unsigned.message()).hex()
        atomic_write(sig_path(self.path), replace(unsigned, signature=signature).to_json(), mode=0o600)


def _new_entry(seq: int, prev: str, actor: str, action: str, object_sha256: str | None,
               details: dict[str, Any] | None, log: Path) -> Entry:
    """Validate the caller's fields (UserError, nothing written) and build the entry."""
    if not (isinstance(actor, str) and actor.strip() and isinstance(action, str) and action.strip()):
        raise UserError(f"{log}: a custody entry needs a non-empty actor and action")
    if object_sha256 is not None and not (len(object_sha256) == 64 and set(object_sha256) <= set("0123456789abcdef")):
        raise UserError(f"{log}: object_sha256 must be 64 lowercase hex digits, got {object_sha256!r}")
    try:
        normal = json.loads(canonical(details if details is not None else {}))
    except (TypeError, ValueError) as exc:
        raise UserError(f"{log}: entry details are not plain JSON ({exc})") from exc
    if not isinstance(normal, dict):
        raise UserError(f"{log}: entry details must be a dict")
    return Entry.make(seq, utc_now(), actor, action, object_sha256, normal, prev)


def _read_tail(path: Path) -> tuple[bytes, bytes]:
    """(last complete line without its newline, bytes after the last newline), reading backwards in blocks."""
    with open(path, "rb") as fh:
        pos = fh.seek(0, os.SEEK_END)
        buf = b""
        while pos > 0:
            step = min(65536, pos)
            pos -= step
            fh.seek(pos)
            buf = fh.read(step) + buf
            last = buf.rfind(b"\n")
            if last == -1:
                continue
            before = buf.rfind(b"\n", 0, last)
            if before != -1 or pos == 0:
                return buf[before + 1 : last], buf[last + 1 :]
        return b"", buf
