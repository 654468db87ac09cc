"""The Source plug-in interface: find items lazily, in a stable order, resumable by locator."""

from __future__ import annotations

import abc
from collections.abc import Iterator
from typing import ClassVar

from reclaim.media import Limits
from reclaim.models import MediaItem, Skipped


class Source(abc.ABC):
    name: ClassVar[str]

    def __init__(self, target: str, *, limits: Limits = Limits()) -> None:
        self.target = target
        self.limits = limits

    @classmethod
    @abc.abstractmethod
    def claims(cls, target: str) -> bool:
        """True when this source knows how to read ``target``."""

    @abc.abstractmethod
    def iter_items(self, resume_after: str | None = None) -> Iterator[MediaItem | Skipped]:
        """Yield every item (or why it was skipped), after the locator ``resume_after`` if given."""
