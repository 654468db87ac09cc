"""File → hashes, for one file or many on all cores.

Byte signals (sha256, md5) are computed before decoding, so even a file that fails to decode keeps its
evidence identity. Photos are read whole (under ``Limits.max_file_bytes``); a video, or a file the source
says is neither photo nor video (``bytes_only``: audio, documents), is streamed from disk instead, so its
size is bounded by ``Limits.max_video_bytes`` and never by memory. Many files run on an engine (``engines``:
local processes by default, or Ray); a worker that crashes (a decoder bug on hostile input) costs only the
files it held, which are retried one by one and reported if they crash again.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Container, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from reclaim.engines import Engine, LocalEngine, ProcessEngine
from reclaim.engines.faults import Faults
from reclaim.engines.process import usable_cores
from reclaim.errors import DecodeError, ItemError, TooLarge
from reclaim.media import Limits, decode_image, read_bytes
from reclaim.media.video import check_video_size, file_size, looks_like_video
from reclaim.models import RemoteObject, SignalValue, Skipped
from reclaim.signals import Media, Signal, all_signals
from reclaim.signals.frames import read_frames
from reclaim.signals.vpdq import VPDQSignal

Target = Path | RemoteObject  # a local file, or an object the worker fetches (sources.s3)


@dataclass(frozen=True)
class FileHashes:
    """Hashes of one file, with what decoding learnt about it."""

    path: Target
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

    path: Target
    error: ItemError
    values: tuple[SignalValue, ...] = field(default=())

    def as_skipped(self) -> Skipped:
        return Skipped(str(self.path), self.error.message, self.error.code)


HashOutcome = FileHashes | HashFailure


def hash_bytes(data: bytes, path: Target, limits: Limits = Limits(), *, fast: bool = True,
               opt_in: frozenset[str] = frozenset(), bytes_only: bool = False, pytx_pdq: bool = False) -> HashOutcome:
    """Compute every default signal, and the opt-in ones named, for the file ``path`` whose contents are ``data``;
    ``bytes_only`` (audio, documents) computes the byte signals without decoding, as ``hash_file`` does.

    ``pytx_pdq``: full-resolution decode with PDQ over python-threatexchange's pixels (single uploads to the
    HMA routes: the hash is pytx's bit for bit); scans keep the fast path."""
    signals = all_signals(opt_in)
    media = Media(str(path), data, limits=limits)
    if bytes_only:
        return FileHashes(path, tuple(_byte_values(media, signals)), "bytes", 0, 0, 0, bytes_only=True)
    if looks_like_video(data[:16]):
        return _hash_video(media, path, signals)
    values = _byte_values(media, signals)
    try:
        image = decode_image(data, str(path), limits, fast=fast, pytx_pdq=pytx_pdq)
        media = Media(str(path), data, image, limits=limits)
        values += [v for s in signals if s.needs == "pixels" for v in s.compute(media)]
    except ItemError as exc:
        return HashFailure(path, exc, tuple(values))
    return FileHashes(path, tuple(values), image.format, image.width, image.height, image.frames)


def _byte_values(media: Media, signals: list[Signal]) -> list[SignalValue]:
    return [v for s in signals if s.needs == "bytes" for v in s.compute(media)]


def _hash_video(media: Media, path: Target, signals: list[Signal]) -> HashOutcome:
    """A video gets its frame signals (vpdq, and faces when asked for) from one decode instead of a decoded
    image; ``frames`` counts the vpdq-hashed frames."""
    values: list[SignalValue] = []
    try:
        values = _byte_values(media, signals)
        readers = [r for s in signals if (r := s.frame_reader()) is not None]
        info, frames = read_frames(media, readers)
    except ItemError as exc:
        return HashFailure(path, exc, tuple(values))
    hashed = sum(v.signal == VPDQSignal.name for v in frames)
    return FileHashes(path, tuple(values + frames), info.format, info.width, info.height, hashed)


def hash_file(path: Target, limits: Limits = Limits(), *, fast: bool = True, opt_in: frozenset[str] = frozenset(),
              bytes_only: bool = False) -> HashOutcome:
    """Hash one file (or object in storage, fetched here); failures are returned, not raised, so callers can
    report and go on."""
    if isinstance(path, RemoteObject):
        from reclaim.sources.s3 import fetch  # only for objects in storage; the sources package is not light

        try:
            data = fetch(path, limits)
        except ItemError as exc:
            return HashFailure(path, exc)
        return hash_bytes(data, path, limits, fast=fast, opt_in=opt_in)
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
    paths: Iterable[Target], *, workers: int | None = None, limits: Limits = Limits(), fast: bool = True,
    chunk: int = 8, opt_in: frozenset[str] = frozenset(), bytes_only: Container[Target] = frozenset(),
    engine: Engine[Any, Any] | None = None,
) -> Iterator[HashOutcome]:
    """Hash many files on ``engine`` (default: ``workers`` local processes, all cores unless given); yields
    results as they arrive.

    ``paths`` is read lazily, and ``bytes_only`` consulted as each path is taken, so a caller may stream
    both (see ``scan``). A chunk whose worker died is retried file by file; a file that kills its worker
    again is reported as a decoder crash.
    """
    own = engine is None
    if engine is None:
        engine = LocalEngine() if (workers or usable_cores()) == 1 else ProcessEngine(workers)
    chunks = _Chunks(iter(paths), chunk, bytes_only)
    work = partial(_hash_chunk, limits=limits, fast=fast, opt_in=opt_in, faults=Faults.from_env())
    try:
        for done, results in engine.run(work, chunks):
            if results is not None:
                yield from results
            elif len(done) == 1:
                path = done[0][0]
                yield HashFailure(path, DecodeError(f"{path}: the decoder crashed on this file"))
            else:
                chunks.retry.extend([item] for item in done)
    finally:
        if own:
            engine.close()


class _Chunks:
    """Chunks of (path, bytes_only) to hash: retried items first, then the next ones from ``paths``.

    Not a generator: one that ran out could not take the retries of a chunk that crashes afterwards.
    """

    def __init__(self, paths: Iterator[Target], size: int, bytes_only: Container[Target]) -> None:
        self.paths, self.size, self.bytes_only = paths, size, bytes_only
        self.retry: deque[list[tuple[Target, bool]]] = deque()

    def __iter__(self) -> _Chunks:
        return self

    def __next__(self) -> list[tuple[Target, bool]]:
        if self.retry:
            return self.retry.popleft()
        batch = [(p, p in self.bytes_only) for p in itertools.islice(self.paths, self.size)]
        if not batch:
            raise StopIteration
        return batch


def _hash_chunk(items: Sequence[tuple[Target, bool]], *, limits: Limits, fast: bool, opt_in: frozenset[str],
                faults: Faults | None) -> list[HashOutcome]:
    """The work every engine runs, in a worker: hash each file of a chunk."""
    outcomes = []
    for path, bytes_only in items:
        if faults is not None:
            faults.maybe_crash(path)
        outcomes.append(hash_file(path, limits, fast=fast, opt_in=opt_in, bytes_only=bytes_only))
    return outcomes
