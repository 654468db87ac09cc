"""``reclaim scan``: hash a folder or export into a case on all cores, resumable, then match against banks."""

from __future__ import annotations

from contextlib import nullcontext
from typing import Annotated

import typer
from rich.markup import escape

from reclaim.cli.output import emit_json, err, face_when, match_json, match_text, out, progress_bar
from reclaim.engines import ENGINE_NAMES, engine_for
from reclaim.errors import UserError
from reclaim.matching.keypoints import Mode
from reclaim.scan.scanner import scan_source
from reclaim.sources import source_for, source_names
from reclaim.store import open_store


def scan_command(
    path: Annotated[str, typer.Argument(
        help="Folder, file, Telegram Desktop export, URL list (.txt) or s3://bucket/prefix to scan.")],
    case: Annotated[str, typer.Option("--case", help="Case to store results in (created if new).")],
    json: Annotated[bool, typer.Option("--json", help="Print the report as one JSON object.")] = False,
    workers: Annotated[int | None, typer.Option(min=1, help="Processes (default: all cores).")] = None,
    source: Annotated[str | None, typer.Option(
        "--source", help=f"How to read PATH ({'|'.join(source_names())}; default: by what PATH is).")] = None,
    engine: Annotated[str | None, typer.Option(
        "--engine", help=f"Where files are hashed: {'|'.join(ENGINE_NAMES)} (default: process, or local with "
        "--workers 1; ray: pip install 'reclaim[ray]').")] = None,
    address: Annotated[str | None, typer.Option(
        "--address", help="With --engine ray: the cluster to join (default: RAY_ADDRESS, else start one here).")
    ] = None,
    mode: Annotated[Mode, typer.Option(
        "--mode", help="fast: hashes (and keypoints for banks that always want them); thorough: also find crops, "
                       "banners, screenshots, mirrors and collages by keypoints where no hash matched.")] = Mode.FAST,
) -> int:
    """Scan a folder or export into a case; an interrupted scan resumes where it stopped when run again."""
    reader = source_for(path, source)
    if address and engine != "ray":
        raise UserError("--address is for --engine ray")
    runner = engine_for(engine, workers=workers, address=address) if engine else None
    with open_store() as store, runner or nullcontext(), progress_bar(f"scanning {path}") as update:
        report = scan_source(store, case, reader, workers=workers, on_progress=update, engine=runner,
                             mode=mode)
    if json:
        emit_json({
            "case": report.case, "target": report.target, "items": report.items, "hashed": report.hashed,
            "reused": report.reused, "source": reader.name, "missing_media": report.missing_media,
            "failed": [{"path": s.locator, "error": s.reason, "code": s.code} for s in report.failed],
            "matches": [
                {"path": loc, "matches": [match_json(m) for m in report.matches.get(loc, [])]
                 + [f.as_json() for f in report.face_matches.get(loc, [])]}
                for loc in sorted(report.matches.keys() | report.face_matches.keys())
            ],
            "reuploads": [{"case": name, "found": r.found, "follow_up_drafts": r.drafts}
                          for name, r in report.reuploads.items()],
        })
    else:
        out.print(f"scanned {report.items} items in {escape(report.target)} into case [bold]{escape(case)}[/]: "
                  f"{report.hashed} hashed, {report.reused} already done, {len(report.failed)} not readable, "
                  + (f"{report.missing_media} media not in the export, " if report.missing_media else "")
                  + f"[bold]{len(report.matches)} matched[/]"
                  + (f", [bold]{len(report.face_matches)} show an enrolled face[/]" if report.face_matches else ""))
        for loc, matches in sorted(report.matches.items()):
            best = match_json(matches[0])
            out.print(f"[bold red]MATCH[/] {escape(loc)}  ->  {escape(best['bank'])} / {escape(best['content_id'])} "
                      f"({match_text(best)})")
        for loc, faces in sorted(report.face_matches.items()):
            out.print(f"[bold red]FACE[/] {escape(loc)}  ->  {escape(faces[0].identity)} "
                      f"(distance {faces[0].distance:.3f}, confidence {faces[0].confidence:.2f}"
                      f"{face_when(faces[0].as_json())})")
        for name, found in report.reuploads.items():
            drafts = ", ".join(f"#{d}" for d in found.drafts) or "none (the originals were never reported)"
            out.print(f"[bold red]RE-UPLOAD[/] {len(found.found)} new copies of case {escape(name)}'s confirmed "
                      f"material; follow-up drafts: {drafts} (see 'reclaim takedown status')")
        for skipped in report.failed:
            err.print(f"[yellow]not read:[/] {escape(skipped.reason)}")
    return 1 if report.failed else 0

