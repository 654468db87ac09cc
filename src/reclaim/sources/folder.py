"""A folder tree: every regular file below it, in sorted order, never leaving the folder.

Symlinks are honoured only when they resolve inside the root; one that points outside (or dangles) is
reported as skipped and never read. Directory symlinks are not descended, which also rules out loops.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from reclaim.errors import SourceError
from reclaim.media import Limits
from reclaim.models import MediaItem, Skipped
from reclaim.sources.base import Source


class FolderSource(Source):
    name = "folder"

    def __init__(self, target: str, *, limits: Limits = Limits()) -> None:
        super().__init__(target, limits=limits)
        root = Path(target).expanduser()
        if not root.exists():
            raise SourceError(f"{target}: no such folder")
        self.root = root.resolve()
        self.target = str(self.root)

    @classmethod
    def claims(cls, target: str) -> bool:
        return Path(target).expanduser().is_dir()

    def iter_items(self, resume_after: str | None = None) -> Iterator[MediaItem | Skipped]:
        if self.root.is_file():
            yield MediaItem(str(self.root), self.root)
            return
        for item in self._walk(self.root):
            if resume_after is None or item.locator > resume_after:
                yield item

    def _walk(self, folder: Path) -> Iterator[MediaItem | Skipped]:
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            yield Skipped(str(folder), f"{folder}: cannot list folder ({exc.strerror})", "unreadable_file")
            return
        for entry in entries:
            path = Path(entry.path)
            if entry.is_symlink():
                yield self._symlink(path)
            elif entry.is_dir(follow_symlinks=False):
                yield from self._walk(path)
            elif entry.is_file(follow_symlinks=False):
                yield MediaItem(str(path), path)

    def _symlink(self, link: Path) -> MediaItem | Skipped:
        try:
            target = link.resolve(strict=True)
        except (OSError, RuntimeError):
            return Skipped(str(link), f"{link}: broken symlink", "unreadable_file")
        if not target.is_relative_to(self.root):
            return Skipped(str(link), f"{link}: symlink points outside {self.root} (to {target}); not read",
                           "path_escapes_root")
        if target.is_dir():
            return Skipped(str(link), f"{link}: symlink to a folder inside the scan; its files are scanned there",
                           "duplicate_path")
        return MediaItem(str(link), target)
