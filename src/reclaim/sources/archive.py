"""Zip and tar archives (seized collections, zipped chat exports) as a source, with bomb and traversal guards.

Nothing in an archive decides where bytes land: each regular member is copied to a private spool folder
under a name of our own (its index), given the member's modification time (so a rescan of an unchanged
archive finds every item unchanged and hashes nothing), and handed to the hashing workers as a file. The
spool folder is deleted when the source is. Locators read ``archive:<archive>!<member>``.

Guards, each a one-line ``Skipped`` and the archive goes on:
- member names that leave the archive (``../``, absolute, drive letters, backslashes) are never read;
- links, devices and FIFOs in a tar, encrypted zip members, and nested archives' *contents* (a nested
  archive is hashed as a file, not opened);
- an archive of more than ``max_archive_members`` entries is refused whole, before any is read;
- sizes: a member over ``max_file_bytes`` or the archive's running total over ``max_archive_bytes``, a
  compression ratio over ``max_compression_ratio`` (a zip bomb), and bytes actually inflated past what the
  header declared (headers lie) are all refused while reading, so a bomb costs at most the limit.

A Telegram Desktop export inside the archive (``result.json`` or ``messages.html`` at its root or in its one
top folder) is unpacked whole into the spool (names checked as above) and read by the Telegram source, so
its items carry the same chat, poster and message context as the unzipped export.
"""

from __future__ import annotations

import os
import shutil
import tarfile
import tempfile
import weakref
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO

from reclaim.errors import SourceError
from reclaim.media import Limits
from reclaim.models import MediaItem, Skipped
from reclaim.sources.base import Source
from reclaim.sources.telegram import TelegramExportSource

SUFFIXES = (".zip", ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz")
COPY_CHUNK = 1 << 20
TELEGRAM_MARKERS = ("result.json", "messages.html")


@dataclass(frozen=True)
class Member:
    """One archive entry, whatever the format."""

    name: str
    size: int  # as declared by the header
    compressed: int  # bytes stored (the size again for an uncompressed tar)
    mtime: float
    kind: str  # "file", "dir", "link", "special", "encrypted"


def printable_name(name: str) -> str:
    """A member name as text that can be stored: bytes that were not UTF-8 (a tar keeps them as surrogates)
    shown as ``\\xNN``."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def safe_name(name: str) -> PurePosixPath | None:
    """The member's path inside the archive, or None if it would leave it (or names nothing)."""
    if "\\" in name or name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        return None
    parts = [p for p in PurePosixPath(name).parts if p not in ("", ".")]
    if not parts or ".." in parts:
        return None
    return PurePosixPath(*parts)


class ArchiveSource(Source):
    name = "archive"

    def __init__(self, target: str, *, limits: Limits = Limits()) -> None:
        super().__init__(target, limits=limits)
        self.path = Path(target).expanduser()
        if not self.path.is_file():
            raise SourceError(f"{target}: no such archive")
        if not (zipfile.is_zipfile(self.path) or _is_tar(self.path)):
            raise SourceError(f"{target}: not a zip or tar archive (or damaged beyond reading)")
        self.spool = Path(tempfile.mkdtemp(prefix="reclaim-archive-"))
        self._cleanup = weakref.finalize(self, shutil.rmtree, self.spool, ignore_errors=True)

    @classmethod
    def claims(cls, target: str) -> bool:
        path = Path(target).expanduser()
        if not path.is_file() or not path.name.lower().endswith(SUFFIXES):
            return False
        return zipfile.is_zipfile(path) or _is_tar(path)

    def iter_items(self, resume_after: str | None = None) -> Iterator[MediaItem | Skipped]:
        try:
            with _open(self.path) as archive:
                cap = self.limits.max_archive_members
                members = archive.members(cap + 1)
                if len(members) > cap:
                    count = f"{len(members):,}" if archive.counted_all else f"over {cap:,}"
                    raise SourceError(f"{self.path}: {count} members, over the limit of {cap:,}; not read")
                export = _telegram_root(members)
                if export is not None:
                    yield from self._telegram(archive, members, export, resume_after)
                    return
                yield from self._files(archive, members, resume_after)
        except (OSError, zipfile.BadZipFile, tarfile.TarError, EOFError, ValueError, NotImplementedError) as exc:
            # ValueError: names that are not UTF-8; NotImplementedError: a zip version Python cannot read
            raise SourceError(f"{self.path}: damaged archive ({exc})") from exc

    def _files(self, archive: _Archive, members: list[Member], resume_after: str | None
               ) -> Iterator[MediaItem | Skipped]:
        budget = _Budget(self.limits)
        skipping = resume_after is not None
        for index, member in enumerate(members):
            shown = printable_name(member.name)
            locator = f"archive:{self.path}!{shown}"
            if skipping:
                skipping = locator != resume_after
                continue
            if member.kind == "dir":
                continue
            problem = self._refusal(member, budget)
            if problem:
                yield Skipped(locator, f"{self.path}: member {shown!r} {problem[0]}", problem[1])
                continue
            copy = self.spool / f"{index:07d}{PurePosixPath(member.name).suffix.lower()[:12]}"
            problem = _copy_out(archive, member, copy, budget)
            if problem:
                copy.unlink(missing_ok=True)
                yield Skipped(locator, f"{self.path}: member {shown!r} {problem[0]}", problem[1])
                continue
            os.utime(copy, (member.mtime, member.mtime))
            yield MediaItem(locator, path=copy, context={
                "source": "archive", "archive": str(self.path), "member": shown, "size": member.size})

    def _refusal(self, member: Member, budget: _Budget) -> tuple[str, str] | None:
        """Why a member is not read at all, from its header alone (reason, code), or None."""
        if safe_name(member.name) is None:
            return "leaves the archive (path traversal); not read", "path_escapes_root"
        if member.kind == "encrypted":
            return "is encrypted; not read", "encrypted"
        if member.kind in ("link", "special"):
            return f"is a {'link' if member.kind == 'link' else 'device or FIFO'}, not a file; not read", "not_a_file"
        limits = self.limits
        if member.size > limits.max_file_bytes:
            return f"is {member.size:,} bytes, over the limit of {limits.max_file_bytes:,}", "too_large"
        if member.size > (1 << 20) and member.size > limits.max_compression_ratio * max(member.compressed, 1):
            return (f"inflates {member.compressed:,} bytes to {member.size:,} (over {limits.max_compression_ratio}:1): "
                    "refused as a decompression bomb", "too_large")
        if budget.total + member.size > limits.max_archive_bytes:
            return f"would take the archive past {limits.max_archive_bytes:,} bytes unpacked", "too_large"
        return None

    def _telegram(self, archive: _Archive, members: list[Member], root: PurePosixPath, resume_after: str | None
                  ) -> Iterator[MediaItem | Skipped]:
        """Unpack the export (checked names only) and read it as the Telegram source does."""
        budget = _Budget(self.limits)
        for member in members:
            name = safe_name(member.name)
            if member.kind != "file" or name is None or self._refusal(member, budget):
                continue  # the Telegram source reports media it cannot find as missing, with the message
            if _copy_out(archive, member, self.spool / name, budget):
                (self.spool / name).unlink(missing_ok=True)
        yield from TelegramExportSource(str(self.spool / root), limits=self.limits).iter_items(resume_after)


class _Budget:
    """Bytes unpacked from one archive so far."""

    def __init__(self, limits: Limits) -> None:
        self.limits, self.total = limits, 0


def _copy_out(archive: _Archive, member: Member, dest: Path, budget: _Budget) -> tuple[str, str] | None:
    """Copy a member's bytes to ``dest``, stopping at the first byte past what it may hold; None if all went."""
    allowed = min(member.size, budget.limits.max_file_bytes, budget.limits.max_archive_bytes - budget.total)
    dest.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    try:
        with archive.open(member) as src, dest.open("wb") as out:
            while chunk := src.read(COPY_CHUNK):
                written += len(chunk)
                if written > allowed:
                    return f"inflates past the {allowed:,} bytes its header declared; refused", "too_large"
                out.write(chunk)
    except (OSError, zipfile.BadZipFile, tarfile.TarError, EOFError, RuntimeError, ValueError,
            NotImplementedError) as exc:  # a local header's name not UTF-8; a compression method unknown
        return f"cannot be read ({exc})", "unreadable"
    finally:
        budget.total += written
    return None


def _telegram_root(members: list[Member]) -> PurePosixPath | None:
    """Where a Telegram export sits in the archive: its root, or its one top folder; None if it holds none."""
    names = {safe_name(m.name) for m in members if m.kind == "file"} - {None}
    tops = {n.parts[0] for n in names if n is not None and len(n.parts) > 1}
    for root in [PurePosixPath("."), *(PurePosixPath(t) for t in sorted(tops))]:
        if any(root / marker in names for marker in TELEGRAM_MARKERS):
            return root
    return None


def _is_tar(path: Path) -> bool:
    try:
        return tarfile.is_tarfile(path)
    except (OSError, tarfile.TarError, EOFError):
        return False


class _Archive:
    counted_all = True  # whether members() saw every entry (a tar is read only up to the limit)

    def members(self, limit: int) -> list[Member]:
        """The entries, or (for a tar, read sequentially) the first ``limit`` of them."""
        raise NotImplementedError

    def open(self, member: Member) -> IO[bytes]:
        raise NotImplementedError

    def __enter__(self) -> _Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        raise NotImplementedError


class _Zip(_Archive):
    def __init__(self, path: Path) -> None:
        self.zip = zipfile.ZipFile(path)

    def members(self, limit: int) -> list[Member]:
        out = []
        for info in self.zip.infolist():  # the central directory is already read: count all of it
            # not info.is_dir(): it indexes the name's last character, and a hostile name can be empty
            kind = "dir" if info.filename.endswith("/") else "encrypted" if info.flag_bits & 0x1 else "file"
            mode = info.external_attr >> 16
            if kind == "file" and mode and (mode & 0o170000) == 0o120000:
                kind = "link"  # a symlink stored by Info-ZIP: its "content" is a path
            mtime = _zip_time(info.date_time)
            out.append(Member(info.filename, info.file_size, info.compress_size, mtime, kind))
        return out

    def open(self, member: Member) -> IO[bytes]:
        return self.zip.open(member.name)

    def close(self) -> None:
        self.zip.close()


class _Tar(_Archive):
    def __init__(self, path: Path) -> None:
        self.tar = tarfile.open(path)  # noqa: SIM115 (closed by close(), as the zip is)
        self._infos: dict[str, tarfile.TarInfo] = {}

    def members(self, limit: int) -> list[Member]:
        out: list[Member] = []
        for info in self.tar:  # headers are read one by one: stop at the limit instead of reading millions
            if len(out) >= limit:
                self.counted_all = False
                break
            kind = ("dir" if info.isdir() else "file" if info.isfile() else "link" if info.issym() or info.islnk()
                    else "special")
            self._infos[info.name] = info
            out.append(Member(info.name, info.size, info.size, float(info.mtime), kind))
        return out

    def open(self, member: Member) -> IO[bytes]:
        handle = self.tar.extractfile(self._infos[member.name])
        if handle is None:
            raise OSError("not a regular file")
        return handle

    def close(self) -> None:
        self.tar.close()


def _open(path: Path) -> _Archive:
    return _Zip(path) if zipfile.is_zipfile(path) else _Tar(path)


def _zip_time(date_time: tuple[int, int, int, int, int, int]) -> float:
    import datetime as dt

    try:
        return dt.datetime(*date_time, tzinfo=dt.UTC).timestamp()
    except ValueError:
        return 0.0
