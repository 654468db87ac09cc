"""The Signal plug-in interface: one hashing algorithm, its text format, distance and index.

Names follow python-threatexchange (``pdq``, ``md5``) so hash lists exchange with HMA unchanged; a name is a
storage key and never changes. ``version`` changes whenever the output for the same input changes.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass
from typing import ClassVar, Literal

from reclaim.index.base import Index
from reclaim.media import DecodedImage
from reclaim.models import MediaKind, SignalValue


@dataclass(frozen=True)
class Media:
    """What a signal may look at: the file's bytes, and (for pixel signals) its decoded image."""

    name: str
    data: bytes
    image: DecodedImage | None = None


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

    def value(self, text: str, quality: int | None = None) -> SignalValue:
        return SignalValue(self.name, self.version, self.parse(text), quality)
