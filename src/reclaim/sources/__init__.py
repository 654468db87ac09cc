"""Where media comes from: a folder today; Telegram exports, URL lists and archives plug in here."""

from reclaim.sources.base import Source
from reclaim.sources.folder import FolderSource

__all__ = ["FolderSource", "Source"]
