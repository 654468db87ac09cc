"""File → hashes, for one file or many on all cores.

Byte signals (sha256, md5) are computed before decoding, so even a file that fails to decode keeps its
evidence identity. Workers are processes; a worker that crashes (a decoder bug on hostile input) costs
only the files it held, which are retried one by one and reported if they crash again.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

from reclaim.errors import DecodeError, ItemError
from reclaim.media import Limits, decode_image, read_bytes
from reclaim.media.video import looks_like_video
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
    values = [v for s in signals if s.needs == "bytes" for v in s.compute(Media(str(path), data))]
    if looks_like_video(data[:16]):
        return _hash_video(data, path, signals, values)
    try:
        image = decode_image(data, str(path), limits, fast=fast)
        media = Media(str(path), data, image)
        values += [v for s in signals if s.needs == "pixels" for v in s.compute(media)]
    except ItemError as exc:
        return HashFailure(path, exc, tuple(values))
    return FileHashes(path, tuple(values), image.format, image.width, image.height, image.frames)


def _hash_video(data: bytes, path: Path, signals: list[Signal], values: list[SignalValue]) -> HashOutcome:
    """A video gets its frame signals (vpdq) instead of a decoded image; ``frames`` counts hashed frames."""
    try:
        frames = [v for s in signals if s.needs == "frames" for v in s.compute(Media(str(path), data))]
    except ItemError as exc:
        return HashFailure(path, exc, tuple(values))
    video = frames[0].extras.get("video", {}) if frames else {}
    return FileHashes(path, tuple(values + frames), str(video.get("container", "video")),
                      int(video.get("width", 0)), int(video.get("height", 0)), len(frames))


def hash_file(path: Path, limits: Limits = Limits(), *, fast: bool = True,
              opt_in: frozenset[str] = frozenset()) -> HashOutcome:
    """Hash one file; failures are returned, not raised, so callers can report and go on."""
    try:
        data = read_bytes(path, limits)
    except ItemError as exc:
        return HashFailure(path, exc)
    return hash_bytes(data, path, limits, fast=fast, opt_in=opt_in)


def hash_files(
    paths: Iterable[Path], *, workers: int | None = None, limits: Limits = Limits(), fast: bool = True,
    chunk: int = 8, opt_in: frozenset[str] = frozenset(),
) -> Iterator[HashOutcome]:
    """Hash many files on ``workers`` processes (default: all cores); yields as results arrive."""
    workers = workers or os.cpu_count() or 1
    if workers == 1:
        for path in paths:
            yield hash_file(path, limits, fast=fast, opt_in=opt_in)
        return
    yield from _pooled(iter(paths), workers, limits, fast, chunk, opt_in)


def _hash_chunk(paths: Sequence[Path], limits: Limits, fast: bool, opt_in: frozenset[str]) -> list[HashOutcome]:
    return [hash_file(p, limits, fast=fast, opt_in=opt_in) for p in paths]


def _pooled(paths: Iterator[Path], workers: int, limits: Limits, fast: bool, chunk: int,
            opt_in: frozenset[str]) -> Iterator[HashOutcome]:
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
                    pending[pool.submit(_hash_chunk, batch, limits, fast, opt_in)] = batch
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

