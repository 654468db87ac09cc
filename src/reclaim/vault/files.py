"""Durable file writes and inter-process locks for evidence files.

A power cut or SIGKILL must never leave a half-written signature, key file or vault object under its final
name: everything is written to a temporary file in the same folder, fsynced, renamed over the target (atomic
on POSIX), and then the folder itself is fsynced so the rename survives a crash. Locks are ``fcntl.flock``
on a separate ``*.lock`` file, released by the kernel if the holder dies, so a killed process never leaves
a stale lock behind. POSIX only (Linux, macOS), like the rest of the evidence store.
"""

from __future__ import annotations

import fcntl
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Literal

from reclaim.errors import ExternalError

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


def atomic_write(target: Path, data: bytes, mode: int = 0o600, *, sync_dir: bool = True) -> None:
    """Replace ``target`` with ``data`` so that readers see the old or the new content, never a mix.

    ``sync_dir=False`` leaves the folder fsync to the caller, who batches many renames in one folder.
    """
    try:
        temp = temp_path(target.parent)
        with open(temp, "wb") as fh:
            os.fchmod(fh.fileno(), mode)
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(temp, target)
        if sync_dir:
            fsync_dir(target.parent)
    except OSError as exc:
        raise ExternalError(f"{target}: cannot write: {exc.strerror or exc}") from exc


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
