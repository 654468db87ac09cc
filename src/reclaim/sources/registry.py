"""The sources Reclaim knows, by name, and which one reads a given target.

Routing follows yt-dlp: each source says whether it ``claims`` a target, and exactly one must. The folder
source is the generic fallback (like yt-dlp's GenericIE): it reads any folder or file, so it is asked only
when no specific source (a Telegram export, …) claims the target. Names are what ``--source`` takes.
"""

from __future__ import annotations

from pathlib import Path

from reclaim.errors import NotFound, SourceError, UserError
from reclaim.media import Limits
from reclaim.sources.archive import ArchiveSource
from reclaim.sources.base import Source
from reclaim.sources.folder import FolderSource
from reclaim.sources.s3 import S3Source
from reclaim.sources.telegram import TelegramExportSource
from reclaim.sources.urls import UrlListSource

BUILTIN_SOURCES: tuple[type[Source], ...] = (
    TelegramExportSource, UrlListSource, S3Source, ArchiveSource, FolderSource,
)
FALLBACK_SOURCE: type[Source] = FolderSource


def _build() -> dict[str, type[Source]]:
    sources: dict[str, type[Source]] = {}
    for cls in BUILTIN_SOURCES:
        if cls.name in sources:
            raise RuntimeError(f"two sources are named {cls.name!r}")
        sources[cls.name] = cls
    return sources


_SOURCES = _build()


def source_names() -> list[str]:
    return list(_SOURCES)


def get_source_class(name: str) -> type[Source]:
    try:
        return _SOURCES[name]
    except KeyError:
        raise NotFound(f"unknown source {name!r} (known: {', '.join(_SOURCES)})") from None


def claimants(target: str) -> list[type[Source]]:
    """The sources that would read ``target``: the specific ones that claim it, else the fallback."""
    specific = [cls for cls in BUILTIN_SOURCES if cls is not FALLBACK_SOURCE and cls.claims(target)]
    if specific:
        return specific
    path = Path(target).expanduser()
    return [FALLBACK_SOURCE] if FALLBACK_SOURCE.claims(target) or path.is_file() else []


def source_for(target: str, name: str | None = None, *, limits: Limits = Limits()) -> Source:
    """Open ``target`` with the source called ``name``, or with the one source that claims it."""
    if name is not None:
        return get_source_class(name)(target, limits=limits)
    if S3Source.claims(target):  # an address, not a path on this machine
        return S3Source(target, limits=limits)
    if not Path(target).expanduser().exists():
        raise SourceError(f"{target}: no such file or folder")
    found = claimants(target)
    if not found:
        raise UserError(f"{target}: no source reads this; choose one with --source ({', '.join(_SOURCES)})")
    if len(found) > 1:
        raise UserError(f"{target}: claimed by several sources ({', '.join(c.name for c in found)}); "
                        "choose one with --source")
    return found[0](target, limits=limits)
