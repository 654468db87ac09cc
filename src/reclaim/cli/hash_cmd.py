"""``reclaim hash`` and ``reclaim match``: hash files, and look them up in banks."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from reclaim.cli.explain import draw_explanation
from reclaim.cli.output import emit_json, err, expand_paths, match_json, match_text, out, progress_bar
from reclaim.errors import NotFound, UserError
from reclaim.hashing import FileHashes, HashFailure, HashOutcome, Target, hash_files
from reclaim.identities import FaceMatcher, current_actor, face_opt_in
from reclaim.matching import Matcher
from reclaim.matching_keypoints import KEYPOINTS, KeypointMatch, Mode, keypoint_opt_in
from reclaim.media import decode_image, read_bytes
from reclaim.models import Match, Skipped
from reclaim.signals.vpdq import features_of
from reclaim.store import Store, open_store

PathsArg = Annotated[list[Path], typer.Argument(help="Image files or folders (folders are searched recursively).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="One JSON object per line on stdout.")]
WorkersOpt = Annotated[int | None, typer.Option("--workers", min=1, help="Processes to use (default: all cores).")]
FullOpt = Annotated[
    bool, typer.Option("--full-resolution", help="Decode every pixel (slower; bit-identical to plain pdqhash).")
]


def hash_command(paths: PathsArg, json: JsonOpt = False, workers: WorkersOpt = None, full: FullOpt = False) -> int:
    """Print sha256, md5 and PDQ (with quality) of every image; for a video, its vPDQ frames."""
    failed = 0
    for outcome in _hash_in_order(paths, workers, full):
        if isinstance(outcome, FileHashes) and not any(v.signal == "pdq" for v in outcome.values):
            _print_video(outcome, json)
        elif isinstance(outcome, FileHashes):
            pdq = outcome.get("pdq")
            record = {"path": str(outcome.path), "sha256": outcome.get("sha256").value,
                      "md5": outcome.get("md5").value, "pdq": pdq.value, "pdq_quality": pdq.quality}
            if json:
                emit_json(record)
            else:
                out.print(f"{record['path']}\n  sha256 {record['sha256']}\n  md5    {record['md5']}\n"
                          f"  pdq    {pdq.value}  quality {pdq.quality}")
        else:
            failed += 1
            _report_failure(outcome, json)
    return 1 if failed else 0


def match_command(
    paths: PathsArg,
    bank: Annotated[list[str] | None, typer.Option("--bank", help="Bank to search (repeatable; default: all).")] = None,
    json: JsonOpt = False,
    workers: WorkersOpt = None,
    mode: Annotated[Mode, typer.Option(
        "--mode", help="fast: hashes (and keypoints for banks that always want them); thorough: also find crops, "
                       "banners, screenshots, mirrors and collages by keypoints where no hash matched.")] = Mode.FAST,
    explain: Annotated[Path | None, typer.Option(
        "--explain", help="Draw the keypoint matches of the one image given into this PNG.")] = None,
    unblur: Annotated[bool, typer.Option("--unblur", help="With --explain: show the query unblurred.")] = False,
) -> int:
    """Look every image or video up in the banks, and for the faces of enrolled identities (unless --bank
    narrows the search to banks); matches are listed best first with their distance."""
    if explain and len(list(expand_paths(paths))) != 1:
        raise UserError("--explain draws one query: give exactly one image")
    with open_store() as store:
        with store.session() as session:
            matcher = Matcher.from_store(session, bank or [])
            opt_in = frozenset() if bank else face_opt_in(session)
            faces = FaceMatcher.from_store(session, current_actor()) if opt_in else None
            keypoints = keypoint_opt_in(session, Mode.THOROUGH if explain else mode)
        if not len(matcher) and faces is None:
            raise NotFound("no active hashes in " + (f"bank(s) {', '.join(bank)}" if bank else "any bank") +
                           "; add some with 'reclaim bank add'")
        return _match_files(store, matcher, faces, paths, json, workers, opt_in | keypoints,
                            (explain, not unblur) if explain else None)


def _match_files(store: Store, matcher: Matcher, faces: FaceMatcher | None, paths: list[Path], json: bool,
                 workers: int | None, opt_in: frozenset[str], explain: tuple[Path, bool] | None = None) -> int:
    failed = 0
    for outcome in _hash_in_order(paths, workers, False, opt_in):
        if not isinstance(outcome, FileHashes):
            failed += 1
            _report_failure(outcome, json)
            continue
        result = matcher.match(outcome.values)
        rows = [match_json(m) for m in result.matches]
        if faces is not None:
            with store.session() as session:  # each face query is audit-logged as it happens
                rows += [m.as_json() for m in faces.match(session, outcome.values, query=str(outcome.path))]
        if explain:
            _explain(outcome, result.matches, *explain)
        stage = {} if result.keypoint_features is None else {"keypoints": {"features": result.keypoint_features}}
        if json:
            emit_json({"path": str(outcome.path), "matches": rows,
                       "suppressed": [{"bank": m.bank, "content_id": m.content_id} for m in result.suppressed],
                       **stage})
        elif rows:
            out.print(f"[bold red]MATCH[/] {escape(str(outcome.path))}")
            for row in rows:
                out.print(f"  face of {escape(row['identity'])} at {row['box']}: distance {row['distance']:g}, "
                          f"confidence {row['confidence']:.2f}" if row["signal_type"] == "face" else
                          f"  {row['bank']} ({row['bank_kind']}) / {escape(row['content_id'])}: {match_text(row)}")
        else:
            out.print(f"[green]no match[/] {escape(str(outcome.path))}")
        if result.keypoint_features == 0 and not json:
            out.print("  no keypoint features (a flat or tiny image): the keypoint stage had nothing to compare")
    return 1 if failed else 0


def _explain(outcome: FileHashes, matches: list[Match], path: Path, blur: bool) -> None:
    """Draw the keypoint matches of ``outcome`` into ``path``, or say there are none."""
    found = [m for m in matches if isinstance(m, KeypointMatch)]
    if not found:
        err.print(f"nothing to explain: no keypoint match for {escape(str(outcome.path))}; {path} not written")
        return
    kset = next(v for v in outcome.values if v.signal == KEYPOINTS)
    assert isinstance(outcome.path, Path)  # the CLI hashes local files
    image = decode_image(read_bytes(outcome.path), str(outcome.path))
    draw_explanation(image.rgb, tuple(kset.extras["size"]), found, path, blur=blur)
    err.print(f"explanation written to {escape(str(path))}")


def _hash_in_order(paths: list[Path], workers: int | None, full: bool,
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
        out.print(f"{record['path']}\n  sha256 {record['sha256']}\n  md5    {record['md5']}\n"
                  f"  vpdq   {len(frames)} frames (1 a second)")


def _report_failure(outcome: HashFailure | Skipped, json: bool) -> None:
    path, message = (str(outcome.path), outcome.error.message) if isinstance(outcome, HashFailure) else (
        outcome.locator, outcome.reason)
    if json:
        emit_json({"path": path, "error": message})
    else:
        err.print(f"[red]error:[/] {escape(message)}")
