"""Where media comes from: a folder, a Telegram Desktop export, a list of URLs, an archive, an S3 bucket."""

from reclaim.sources.archive import ArchiveSource
from reclaim.sources.base import Source
from reclaim.sources.folder import FolderSource
from reclaim.sources.registry import BUILTIN_SOURCES, get_source_class, source_for, source_names
from reclaim.sources.s3 import S3Source
from reclaim.sources.telegram import TelegramExportSource
from reclaim.sources.urls import UrlListSource

__all__ = [
    "ArchiveSource",
    "BUILTIN_SOURCES",
    "FolderSource",
    "S3Source",
    "Source",
    "TelegramExportSource",
    "UrlListSource",
    "get_source_class",
    "source_for",
    "source_names",
]
