"""Durable file writes, inter-process locks and versioned JSON files: the one copy of each, for every package.

A power cut or SIGKILL must never leave a half-written signature, key file or vault object under its final
name: everything is written to a temporary file in the same folder, fsynced, renamed over the target (atomic
on POSIX), and then the folder itself is fsynced so the rename survives a crash. Locks are ``fcntl.flock``
on a separate ``*.lock`` file, released by the kernel if the holder dies, so a killed process never leaves
a stale lock behind. POSIX only (Linux, macOS), like the rest of the evidence store. Files Reclaim writes for
itself (vault headers, keys, signatures) name their format and version, read back by ``read_versioned_json``.
"""

from __future__ import annotations

import fcntl
import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO, Literal

from reclaim.errors import ExternalError, IntegrityError, ReclaimError

TEMP_PREFIX = ".tmp-"


def fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def temp_path(folder: Path) -> Path:
    """A fresh temporary file in ``folder`` named with our pid, so leftovers of dead processes are known."""
    fd, name = tempfile.mkstemp(prefix=f"{TEMP_PREFIX}{os.getpid()}-", dir=folder)
    os.close(fd)
    return Path(name)


@contextmanager
def atomic_path(target: Path, *, sync_dir: bool = True) -> Iterator[Path]:
    """A temporary path beside ``target`` for the block to write (by name, for libraries that want one); it
    replaces ``target`` when the block ends well and is removed when it does not. The caller fsyncs the file
    if it needs to; ``sync_dir=False`` leaves the folder fsync to a caller that batches many renames."""
    temp = temp_path(target.parent)
    try:
        yield temp
        os.replace(temp, target)
        if sync_dir:
            fsync_dir(target.parent)
    finally:
        temp.unlink(missing_ok=True)


@contextmanager
def atomic_writer(target: Path, mode: int = 0o600, *, durable: bool = True) -> Iterator[BinaryIO]:
    """A file to write ``target`` through: readers see the old or the whole new content, never a mix.
    ``durable=False`` skips the fsyncs, for caches that are rebuilt if a crash loses them."""
    with atomic_path(target, sync_dir=durable) as temp, open(temp, "wb") as fh:
        os.fchmod(fh.fileno(), mode)
        yield fh
        fh.flush()
        if durable:
            os.fsync(fh.fileno())


def atomic_write(target: Path, data: bytes, mode: int = 0o600, *, sync_dir: bool = True) -> None:
    """Replace ``target`` with ``data`` (``atomic_writer``); OS errors become ExternalError naming the file."""
    try:
        with atomic_path(target, sync_dir=sync_dir) as temp, open(temp, "wb") as fh:
            os.fchmod(fh.fileno(), mode)
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    except OSError as exc:
        raise ExternalError(f"{target}: cannot write: {exc.strerror or exc}") from exc


def read_versioned_json(
    path: Path, fmt: str, version: int, *, missing: type[ReclaimError] = IntegrityError, what: str = "file"
) -> dict[str, Any]:
    """The JSON object in ``path`` if it says it is ``fmt`` version ``version``; otherwise IntegrityError (or
    ``missing`` when there is no file), each naming the path."""
    doc = read_json_object(path, missing=missing, what=what)
    if doc.get("format") != fmt or doc.get("version") != version:
        raise IntegrityError(f"{path}: not a {fmt} version {version} {what}")
    return doc


def read_json_object(
    path: Path, *, missing: type[ReclaimError] = IntegrityError, what: str = "file"
) -> dict[str, Any]:
    """The JSON object in ``path``; IntegrityError if it is unreadable or not an object, ``missing`` if absent."""
    try:
        doc = json.loads(path.read_bytes())
    except FileNotFoundError as exc:
        raise missing(f"{path}: missing (no {what})") from exc
    except (OSError, ValueError) as exc:
        raise IntegrityError(f"{path}: {what} is unreadable ({exc})") from exc
    if not isinstance(doc, dict):
        raise IntegrityError(f"{path}: not a {what} (not a JSON object)")
    return doc


def open_or_fail(path: Path, mode: Literal["rb", "ab"]) -> BinaryIO:
    """``open`` with OS errors turned into ExternalError naming the file; use it in a ``with``."""
    try:
        return open(path, mode)  # noqa: SIM115 - the caller closes it
    except OSError as exc:
        raise ExternalError(f"{path}: cannot open: {exc.strerror or exc}") from exc


def remove_dead_temps(folder: Path) -> list[Path]:
    """Delete temporary files left by processes that no longer run (killed mid-write); return what went."""
    removed = []
    for path in folder.glob(f"{TEMP_PREFIX}*"):
        pid = path.name[len(TEMP_PREFIX) :].split("-", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextmanager
def locked(lock_path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``lock_path`` (created if missing) for the ``with`` block."""
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise ExternalError(f"{lock_path}: cannot open lock file: {exc.strerror or exc}") from exc
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the flock
