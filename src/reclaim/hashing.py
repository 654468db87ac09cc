"""File → hashes, for one file or many on all cores.

Byte signals (sha256, md5) are computed before decoding, so even a file that fails to decode keeps its
evidence identity. Photos are read whole (under ``Limits.max_file_bytes``); a video, or a file the source
says is neither photo nor video (``bytes_only``: audio, documents), is streamed from disk instead, so its
size is bounded by ``Limits.max_video_bytes`` and never by memory. Workers are processes; a worker that
crashes (a decoder bug on hostile input) costs only the files it held, which are retried one by one and
reported if they crash again.
"""

from __future__ import annotations

import os
from collections.abc import Container, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

from reclaim.errors import DecodeError, ItemError, TooLarge
from reclaim.media import Limits, decode_image, read_bytes
from reclaim.media.video import check_video_size, file_size, looks_like_video
from reclaim.models import SignalValue, Skipped
from reclaim.signals import Media, Signal, all_signals


@dataclass(frozen=True)
class FileHashes:
    """Hashes of one file, with what decoding learnt about it."""

    path: Path
    values: tuple[SignalValue, ...]
    format: str
    width: int
    height: int
    frames: int = 1
    bytes_only: bool = False  # only sha256/md5: the source said it is not a photo or video

    def get(self, signal: str) -> SignalValue:
        return next(v for v in self.values if v.signal == signal)


@dataclass(frozen=True)
class HashFailure:
    """A file that could not be hashed fully; ``values`` holds the byte hashes when the bytes were read."""

    path: Path
    error: ItemError
    values: tuple[SignalValue, ...] = field(default=())

    def as_skipped(self) -> Skipped:
        return Skipped(str(self.path), self.error.message, self.error.code)


HashOutcome = FileHashes | HashFailure


def hash_bytes(data: bytes, path: Path, limits: Limits = Limits(), *, fast: bool = True,
               opt_in: frozenset[str] = frozenset()) -> HashOutcome:
    """Compute every default signal, and the opt-in ones named, for the file ``path`` whose contents are ``data``."""
    signals = all_signals(opt_in)
    media = Media(str(path), data, limits=limits)
    if looks_like_video(data[:16]):
        return _hash_video(media, path, signals)
    values = _byte_values(media, signals)
    try:
        image = decode_image(data, str(path), limits, fast=fast)
        media = Media(str(path), data, image, limits=limits)
        values += [v for s in signals if s.needs == "pixels" for v in s.compute(media)]
    except ItemError as exc:
        return HashFailure(path, exc, tuple(values))
    return FileHashes(path, tuple(values), image.format, image.width, image.height, image.frames)


def _byte_values(media: Media, signals: list[Signal]) -> list[SignalValue]:
    return [v for s in signals if s.needs == "bytes" for v in s.compute(media)]


def _hash_video(media: Media, path: Path, signals: list[Signal]) -> HashOutcome:
    """A video gets its frame signals (vpdq) instead of a decoded image; ``frames`` counts hashed frames."""
    values: list[SignalValue] = []
    try:
        values = _byte_values(media, signals)
        frames = [v for s in signals if s.needs == "frames" for v in s.compute(media)]
    except ItemError as exc:
        return HashFailure(path, exc, tuple(values))
    video = frames[0].extras.get("video", {}) if frames else {}
    return FileHashes(path, tuple(values + frames), str(video.get("container", "video")),
                      int(video.get("width", 0)), int(video.get("height", 0)), len(frames))


def hash_file(path: Path, limits: Limits = Limits(), *, fast: bool = True, opt_in: frozenset[str] = frozenset(),
              bytes_only: bool = False) -> HashOutcome:
    """Hash one file; failures are returned, not raised, so callers can report and go on."""
    try:
        if bytes_only:
            size = file_size(path, str(path))
            if size > limits.max_video_bytes:
                raise TooLarge(f"{path}: file is {size:,} bytes, over the limit of {limits.max_video_bytes:,}")
            values = _byte_values(Media(str(path), path=path, limits=limits), all_signals(opt_in))
            return FileHashes(path, tuple(values), "bytes", 0, 0, 0, bytes_only=True)
        if _is_video(path):
            check_video_size(file_size(path, str(path)), str(path), limits)
            return _hash_video(Media(str(path), path=path, limits=limits), path, all_signals(opt_in))
        data = read_bytes(path, limits)
    except ItemError as exc:
        return HashFailure(path, exc)
    return hash_bytes(data, path, limits, fast=fast, opt_in=opt_in)


def _is_video(path: Path) -> bool:
    """Sniff a regular file's first bytes; anything unreadable is left to ``read_bytes`` to explain."""
    try:
        if not path.is_file():
            return False
        with path.open("rb") as fh:
            return looks_like_video(fh.read(16))
    except OSError:
        return False


def hash_files(
    paths: Iterable[Path], *, workers: int | None = None, limits: Limits = Limits(), fast: bool = True,
    chunk: int = 8, opt_in: frozenset[str] = frozenset(), bytes_only: Container[Path] = frozenset(),
) -> Iterator[HashOutcome]:
    """Hash many files on ``workers`` processes (default: all cores); yields as results arrive.

    ``paths`` is read lazily, and ``bytes_only`` consulted as each path is taken, so a caller may stream
    both (see ``scan``).
    """
    workers = workers or os.cpu_count() or 1
    if workers == 1:
        for path in paths:
            yield hash_file(path, limits, fast=fast, opt_in=opt_in, bytes_only=path in bytes_only)
        return
    yield from _pooled(iter(paths), workers, limits, fast, chunk, opt_in, bytes_only)


def _hash_chunk(paths: Sequence[Path], bytes_only: Sequence[bool], limits: Limits, fast: bool,
                opt_in: frozenset[str]) -> list[HashOutcome]:
    return [hash_file(p, limits, fast=fast, opt_in=opt_in, bytes_only=b) for p, b in zip(paths, bytes_only,
                                                                                         strict=True)]


def _pooled(paths: Iterator[Path], workers: int, limits: Limits, fast: bool, chunk: int,
            opt_in: frozenset[str], bytes_only: Container[Path]) -> Iterator[HashOutcome]:
    """Keep ``2 * workers`` chunks in flight; after a worker crash, retry its chunks file by file."""
    retry: list[list[Path]] = []
    while True:
        pool = ProcessPoolExecutor(workers)
        pending: dict[Future[list[HashOutcome]], list[Path]] = {}
        crashed: list[list[Path]] = []
        try:
            while True:
                while len(pending) < 2 * workers:
                    batch = retry.pop() if retry else _take(paths, chunk)
                    if not batch:
                        break
                    flags = [p in bytes_only for p in batch]
                    pending[pool.submit(_hash_chunk, batch, flags, limits, fast, opt_in)] = batch
                if not pending:
                    return
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    batch = pending.pop(future)
                    try:
                        yield from future.result()
                    except BrokenProcessPool:
                        crashed.append(batch)
                if crashed:
                    crashed.extend(pending.values())
                    break
        finally:
            pool.shutdown(wait=not crashed, cancel_futures=True)
        for batch in crashed:
            if len(batch) == 1:
                yield HashFailure(batch[0], DecodeError(f"{batch[0]}: the decoder crashed on this file"))
            else:
                retry.extend([p] for p in batch)


def _take(paths: Iterator[Path], n: int) -> list[Path]:
    batch = []
    for path in paths:
        batch.append(path)
        if len(batch) == n:
            break
    return batch

