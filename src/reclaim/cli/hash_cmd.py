"""``reclaim hash``: hash files (and the hashing loop ``reclaim match`` shares). Imports no database or index,
and prints plain lines without Rich (start-up: bench/startup.py)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer

from reclaim.cli.output import emit_json, err, escape, expand_paths, progress_bar
from reclaim.hashing import FileHashes, HashFailure, HashOutcome, Target, hash_files
from reclaim.models import Skipped
from reclaim.signals.vpdq import features_of

PathsArg = Annotated[list[Path], typer.Argument(help="Image files or folders (folders are searched recursively).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="One JSON object per line on stdout.")]
WorkersOpt = Annotated[int | None, typer.Option("--workers", min=1, help="Processes to use (default: all cores).")]
FullOpt = Annotated[
    bool, typer.Option("--full-resolution", help="Decode every pixel (slower; bit-identical to plain pdqhash).")
]


def hash_command(paths: PathsArg, json: JsonOpt = False, workers: WorkersOpt = None, full: FullOpt = False) -> int:
    """Print sha256, md5 and PDQ (with quality) of every image; for a video, its vPDQ frames."""
    failed = 0
    for outcome in hash_in_order(paths, workers, full):
        if isinstance(outcome, FileHashes) and not any(v.signal == "pdq" for v in outcome.values):
            _print_video(outcome, json)
        elif isinstance(outcome, FileHashes):
            pdq = outcome.get("pdq")
            record = {"path": str(outcome.path), "sha256": outcome.get("sha256").value,
                      "md5": outcome.get("md5").value, "pdq": pdq.value, "pdq_quality": pdq.quality}
            if json:
                emit_json(record)
            else:
                _print(f"{outcome.path}\n  sha256 {record['sha256']}\n  md5    {record['md5']}\n"
                       f"  pdq    {pdq.value}  quality {pdq.quality}")
        else:
            failed += 1
            report_failure(outcome, json)
    return 1 if failed else 0


def hash_in_order(paths: list[Path], workers: int | None, full: bool,
                   opt_in: frozenset[str] = frozenset()) -> Iterator[HashOutcome | Skipped]:
    """Hash on all cores but yield in input order, so output is stable and diffable."""
    entries = list(dict.fromkeys(expand_paths(paths)))  # a file named twice is hashed and shown once
    files = [e for e in entries if isinstance(e, Path)]
    ready: dict[Target, HashOutcome] = {}
    with progress_bar("hashing", len(files)) as update:
        outcomes = hash_files(files, workers=workers, fast=not full, opt_in=opt_in)
        finished = 0
        for entry in entries:
            if isinstance(entry, Skipped):
                yield entry
                continue
            while entry not in ready:
                outcome = next(outcomes)
                ready[outcome.path] = outcome
                finished += 1
                update(finished)
            yield ready.pop(entry)


def _print_video(outcome: FileHashes, json: bool) -> None:
    """Images keep their keys; a video has no single PDQ, so ``pdq`` is null and ``vpdq`` lists its frames."""
    frames = features_of(outcome.values)
    record = {"path": str(outcome.path), "sha256": outcome.get("sha256").value, "md5": outcome.get("md5").value,
              "pdq": None, "pdq_quality": None, "vpdq": {"frames": len(frames), "features": [str(f) for f in frames]}}
    if json:
        emit_json(record)
    else:
        _print(f"{outcome.path}\n  sha256 {record['sha256']}\n  md5    {record['md5']}\n"
               f"  vpdq   {len(frames)} frames (1 a second)")


def report_failure(outcome: HashFailure | Skipped, json: bool) -> None:
    path, message = (str(outcome.path), outcome.error.message) if isinstance(outcome, HashFailure) else (
        outcome.locator, outcome.reason)
    if json:
        emit_json({"path": path, "error": message})
    else:
        err.print(f"[red]error:[/] {escape(message)}")


def _print(text: str) -> None:
    """A result as plain text: a path is printed as it is, with no markup or emoji codes read into it."""
    sys.stdout.write(text + "\n")
