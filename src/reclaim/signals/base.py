"""The Signal plug-in interface: one hashing algorithm, its text format, distance and index.

Names follow python-threatexchange (``pdq``, ``md5``) so hash lists exchange with HMA unchanged; a name is a
storage key and never changes. ``version`` changes whenever the output for the same input changes.
"""

from __future__ import annotations

import abc
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Literal

from reclaim.errors import UnreadableFile
from reclaim.index.base import Index
from reclaim.media import DecodedImage, Limits
from reclaim.media.video import VideoFrame, VideoInfo
from reclaim.models import MediaKind, SignalValue

CHUNK_BYTES = 1 << 20


@dataclass(frozen=True)
class Media:
    """What a signal may look at: the file's bytes, and (for pixel signals) its decoded image.

    A file too big to hold (a video, a bytes-only file) comes as ``path`` with empty ``data``: byte
    signals read it in ``chunks`` and frame signals decode it from disk, so memory stays bounded.
    """

    name: str
    data: bytes = b""
    image: DecodedImage | None = None
    path: Path | None = None
    limits: Limits = Limits()

    def chunks(self) -> Iterator[bytes]:
        """The file's bytes in pieces of at most 1 MiB."""
        if self.path is None:
            yield self.data
            return
        try:
            with self.path.open("rb") as fh:
                while chunk := fh.read(CHUNK_BYTES):
                    yield chunk
        except OSError as exc:
            raise UnreadableFile(f"{self.name}: cannot read ({exc.strerror or exc})") from exc


class FrameReader(abc.ABC):
    """What one signal takes from a video's single shared decode (``signals.frames.read_frames``): it sees each
    sampled frame once, in time order, and then gives its values. A fresh reader serves one video."""

    every: float = 1.0  # the sampling step it wants, in seconds; the decode samples at the smallest asked for
    cuts: bool = False  # it also wants the first frame of each new scene between samples (``VideoFrame.cut``)

    def start(self, name: str, info: VideoInfo) -> None:  # noqa: B027 - an optional hook, not abstract
        """Called once, before the first frame, with the file's name and what its container says."""

    @abc.abstractmethod
    def see(self, frame: VideoFrame) -> None: ...

    @abc.abstractmethod
    def values(self, info: VideoInfo) -> list[SignalValue]: ...


class Signal(abc.ABC):
    name: ClassVar[str]
    version: ClassVar[str]
    media_kinds: ClassVar[frozenset[MediaKind]]
    needs: ClassVar[Literal["bytes", "pixels", "frames"]]  # frames: decodes a video from the bytes itself
    default_threshold: ClassVar[float]
    index_cls: ClassVar[type[Index]]
    # Computed only when a caller names it (costly, or privacy-bound like faces); see registry.all_signals.
    opt_in: ClassVar[bool] = False

    @abc.abstractmethod
    def compute(self, media: Media) -> list[SignalValue]:
        """Hash the media; raise SignalError rather than return an empty value."""

    @abc.abstractmethod
    def parse(self, text: str) -> str:
        """Normalise a hash string or raise InvalidHash."""

    @abc.abstractmethod
    def distance(self, a: str, b: str) -> float: ...

    @abc.abstractmethod
    def examples(self) -> list[str]:
        """Valid values, fed to the contract tests."""

    def frame_reader(self) -> FrameReader | None:
        """A reader of video frames, for signals computed on videos (vpdq, faces); None for the others."""
        return None

    def value(self, text: str, quality: int | None = None) -> SignalValue:
        return SignalValue(self.name, self.version, self.parse(text), quality)
