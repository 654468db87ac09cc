"""``reclaim match``: look files up in the banks (hashes, keypoints) and in the enrolled faces."""

from __future__ import annotations

from enum import StrEnum
from itertools import islice
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from sqlalchemy.orm import Session

from reclaim.cli.explain import draw_explanation
from reclaim.cli.hash_cmd import JsonOpt, PathsArg, WorkersOpt, hash_in_order, report_failure
from reclaim.cli.output import emit_json, err, expand_paths, face_when, match_json, match_text, out
from reclaim.errors import NotFound, UserError
from reclaim.hashing import FileHashes
from reclaim.identities import FaceMatcher, current_actor, face_opt_in
from reclaim.matching.keypoints import (
    AUTO_FILES,
    AUTO_KNOWN,
    KEYPOINTS,
    KeypointMatch,
    Mode,
    auto_mode,
    keypoint_opt_in,
)
from reclaim.matching.matcher import Matcher
from reclaim.media import decode_image, read_bytes
from reclaim.models import Match
from reclaim.store import Store, open_store


class MatchMode(StrEnum):
    AUTO = "auto"
    FAST = Mode.FAST.value
    THOROUGH = Mode.THOROUGH.value


def match_command(
    paths: PathsArg,
    bank: Annotated[list[str] | None, typer.Option("--bank", help="Bank to search (repeatable; default: all).")] = None,
    json: JsonOpt = False,
    workers: WorkersOpt = None,
    mode: Annotated[MatchMode, typer.Option(
        "--mode", help="fast: hashes (and keypoints for banks that always want them); thorough: also find crops, "
                       "banners, screenshots, mirrors and collages by keypoints where no hash matched; auto: "
                       f"thorough for up to {AUTO_FILES} files while the banks hold up to {AUTO_KNOWN:,} images "
                       "with keypoints, else fast.")] = MatchMode.AUTO,
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
            chosen = Mode.THOROUGH if explain else _resolve(session, mode, paths, json)
            keypoints = keypoint_opt_in(session, chosen)
        if not len(matcher) and faces is None:
            raise NotFound("no active hashes in " + (f"bank(s) {', '.join(bank)}" if bank else "any bank") +
                           "; add some with 'reclaim bank add'")
        return _match_files(store, matcher, faces, paths, json, workers, opt_in | keypoints,
                            (explain, not unblur) if explain else None)


def _resolve(session: Session, mode: MatchMode, paths: list[Path], json: bool) -> Mode:
    """``auto`` as ``auto_mode`` decides for this many files; when that is fast, say how to find crops."""
    if mode is not MatchMode.AUTO:
        return Mode(mode.value)
    files = sum(1 for _ in islice(expand_paths(paths), AUTO_FILES + 1))  # a big folder is not walked twice
    chosen, why = auto_mode(session, files)
    if why and not json:
        err.print(f"--mode auto: hashes only ({why}); --mode thorough also finds crops, screenshots and "
                  "collages by keypoints")
    return chosen


def _match_files(store: Store, matcher: Matcher, faces: FaceMatcher | None, paths: list[Path], json: bool,
                 workers: int | None, opt_in: frozenset[str], explain: tuple[Path, bool] | None = None) -> int:
    failed = 0
    for outcome in hash_in_order(paths, workers, False, opt_in):
        if not isinstance(outcome, FileHashes):  # a failure, or an entry a folder walk skipped
            failed += 1
            report_failure(outcome, json)
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
                          f"confidence {row['confidence']:.2f}{face_when(row)}" if row["signal_type"] == "face" else
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
    image = decode_image(read_bytes(Path(str(outcome.path))), str(outcome.path))  # match reads local files only
    draw_explanation(image.rgb, tuple(kset.extras["size"]), found, path, blur=blur)
    err.print(f"explanation written to {escape(str(path))}")
