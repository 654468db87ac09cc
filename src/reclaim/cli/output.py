"""Shared terminal plumbing: consoles, JSON lines, progress bars, and the paths a command was given."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from reclaim.matching_keypoints import KeypointMatch
from reclaim.models import Match, Skipped
from reclaim.sources import FolderSource

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def emit_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def match_json(match: Match) -> dict[str, Any]:
    """One match as commands print it; a video match adds where (``frame_time``) or how much (``match_percent``)."""
    row: dict[str, Any] = {"bank": match.bank, "bank_kind": match.bank_kind.value, "content_id": match.content_id,
                           "signal_type": match.signal, "distance": match.distance}
    if match.frame_time is not None:
        row["frame_time"] = match.frame_time
    if match.match_percent is not None:
        row["match_percent"] = match.match_percent
    if isinstance(match, KeypointMatch) and match.verification:
        row["inliers"] = match.inliers
        row["transform"] = {**match.verification.transform.as_json(),
                            "confidence": round(match.verification.confidence, 3)}
    return row


def match_text(row: dict[str, Any]) -> str:
    """The human line of a ``match_json`` row, after the bank and content id."""
    where = f" at {row['frame_time']:g} s" if "frame_time" in row else ""
    share = f", {row['match_percent']:g} % of frames" if "match_percent" in row else ""
    if "transform" in row:
        t = row["transform"]
        return (f"keypoints: {row['inliers']} inliers, confidence {t['confidence']:.2f}, scale {t['scale']:g}, "
                f"rotation {t['rotation']:g} deg{', mirrored' if t['mirrored'] else ''}, "
                f"seen at {t['query_region']} of the query")
    return f"{row['signal_type']} distance {row['distance']:g}{where}{share}"


@contextmanager
def progress_bar(label: str, total: int | None = None) -> Iterator[Any]:
    """A Rich progress bar on stderr (stdout stays clean for --json); yields ``update(done, total)``."""
    progress = Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
        console=err, transient=True, disable=not err.is_terminal,
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
            for item in FolderSource(str(path)).iter_items():
                if isinstance(item, Skipped):
                    yield item
                elif item.path is not None:  # always, for a folder's files
                    yield item.path
        else:
            yield path
