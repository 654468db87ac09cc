"""Shared terminal plumbing: consoles, JSON lines, progress bars, and the paths a command was given.

The consoles are made on first use: Rich costs a tenth of a second to import, which ``reclaim --help`` and
``reclaim hash`` (plain lines) do not pay (bench/startup.py).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from rich.console import Console

    from reclaim.models import Match, Skipped


class _LazyConsole:
    """A Rich ``Console(**options)`` built when first used."""

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._console: Console | None = None

    def __getattr__(self, name: str) -> Any:
        if self._console is None:
            from rich.console import Console

            self._console = Console(**self._options)
        return getattr(self._console, name)


out = cast("Console", _LazyConsole(highlight=False, soft_wrap=True))
err = cast("Console", _LazyConsole(stderr=True, highlight=False, soft_wrap=True))


def escape(text: str) -> str:
    """``rich.markup.escape``, imported when there is something to print with markup (an error)."""
    from rich.markup import escape as rich_escape

    return rich_escape(text)


def emit_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def match_json(match: Match) -> dict[str, Any]:
    """One match as commands print it; a video match adds where (``frame_time``) or how much (``match_percent``)."""
    from reclaim.matching.keypoints import KeypointMatch  # loaded already wherever matches exist

    row: dict[str, Any] = {"bank": match.bank, "bank_kind": match.bank_kind.value, "content_id": match.content_id,
                           "signal_type": match.signal, "distance": match.distance}
    if match.frame_time is not None:
        row["frame_time"] = match.frame_time
    if match.match_percent is not None:
        row["match_percent"] = match.match_percent
    if isinstance(match, KeypointMatch):
        row.update(match.details() or {})
    return row


def match_text(row: dict[str, Any]) -> str:
    """The human line of a ``match_json`` row (or a stored match's, or a face's), after what it matched."""
    if row["signal_type"] == "face":
        from reclaim.identities.matcher import describe_face  # loaded already wherever faces are matched

        return describe_face(row)
    if "transform" in row:
        from reclaim.matching.keypoints import describe_keypoints

        return describe_keypoints(row)
    if row["signal_type"] in ("sha256", "md5"):
        return f"exact copy ({row['signal_type']})"
    where = f" at {row['frame_time']:g} s" if row.get("frame_time") is not None else ""
    share = f", {row['match_percent']:g} % of frames" if row.get("match_percent") is not None else ""
    return f"{row['signal_type']} distance {row['distance']:g}{where}{share}"


@contextmanager
def progress_bar(label: str, total: int | None = None) -> Iterator[Any]:
    """A Rich progress bar on stderr (stdout stays clean for --json); yields ``update(done, total)``. Without a
    terminal there is nothing to draw, and nothing is imported for it."""
    if not sys.stderr.isatty():
        yield lambda done, new_total=None: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    progress = Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
        console=err, transient=True,
    )
    with progress:
        task = progress.add_task(label, total=total)

        def update(done: int, new_total: int | None = None) -> None:
            progress.update(task, completed=done, total=new_total if new_total is not None else total)

        yield update


def expand_paths(paths: list[Path]) -> Iterator[Path | Skipped]:
    """Files as given; folders walked (sorted, recursive, never following symlinks out of them)."""
    for path in paths:
        if path.is_dir():
            from reclaim.models import Skipped
            from reclaim.sources.folder import FolderSource

            for item in FolderSource(str(path)).iter_items():
                if isinstance(item, Skipped):
                    yield item
                elif item.path is not None:  # always, for a folder's files
                    yield item.path
        else:
            yield path
