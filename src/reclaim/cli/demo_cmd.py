"""``reclaim demo``: run the synthetic end-to-end case and explain what happened."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from reclaim.cli.extras import require_extra
from reclaim.cli.output import match_json, match_text, out, progress_bar
from reclaim.cli.serve_cmd import run_server
from reclaim.demo.accounts import demo_logins
from reclaim.identities.photos import PASSPHRASE_ENV
from reclaim.store import open_store

# What the demo runs: sample faces, face search and attribution (dlib, OpenCV), the keypoint stage (FAISS).
DEMO_MODULES = ("skimage", "matplotlib", "dlib", "face_recognition_models", "cv2", "faiss")


def demo_command(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for everything the demo writes.")] = Path(
        "reclaim-demo"),
    workers: Annotated[int | None, typer.Option(min=1, help="Processes (default: all cores).")] = None,
    serve: Annotated[bool, typer.Option("--serve", help="Then serve the web UI on the demo case (needs "
                                                        "reclaim[server]) and print its address and logins.")] = False,
    port: Annotated[int, typer.Option(help="Port for --serve (on 127.0.0.1).")] = 8000,
) -> int:
    """Build a synthetic case from benign images, scan it, and show what Reclaim finds."""
    require_extra("reclaim demo", "demo", *DEMO_MODULES)
    from reclaim.demo.run import run_demo

    with progress_bar("scanning the demo folder") as update:
        result = run_demo(out_dir, workers=workers, on_progress=update, say=lambda s: out.print(escape(s)))
    report = result.report
    out.print(f"\n[bold]Case '{escape(report.case)}'[/]: scanned {report.items} files")
    out.print(f"  re-uploads found:    {len(result.found)}/{len(result.reuploads)}")
    hard_found = sum(h in report.matches for h in result.hard_cases)
    out.print(f"  crops/banners found: {hard_found}/{len(result.hard_cases)} "
              "(with a screenshot and a collage; PDQ misses them, the keypoint stage finds them)")
    out.print(f"  decoys flagged:      {len(result.false_alarms)}/{len(result.decoys)}")
    out.print(f"  not readable:        {len(report.failed)} (listed, never fatal)")
    for loc, matches in sorted(report.matches.items()):
        best = matches[0]
        out.print(f"  [red]MATCH[/] {escape(Path(loc).relative_to(result.out).as_posix())} -> "
                  f"{escape(best.content_id)} ({escape(match_text(match_json(best)))})")
    for skipped in report.failed:
        out.print(f"  [yellow]not read[/] {escape(skipped.reason)}")
    ev = result.evidence
    out.print(f"\n[bold]Evidence[/]: {ev.confirmed} confirmed, {ev.second_look} for a second look; bundle "
              f"{escape(str(ev.bundle))} {'[green]verified[/]' if ev.verified else '[red]NOT verified[/]'}")
    out.print(f"  report: {escape(str(ev.report_pdf or ev.report_html))}")
    out.print(f"\nEverything is under {escape(str(result.out))}: database reclaim.db, report.json, cases/ "
              "(case key, custody log), evidence/, notices/, known/, found/ and telegram/.")
    out.print(f"Look around with: RECLAIM_HOME={escape(str(result.out))} reclaim case show demo")
    out.print(f"  and the Telegram group: RECLAIM_HOME={escape(str(result.out))} reclaim case items "
              f"{result.telegram_case} / reclaim case posters {result.telegram_case}")
    if serve:
        _serve(result.out, result.database_url, port)
    return 0


def _serve(home: Path, database_url: str, port: int) -> None:
    from reclaim.demo.faces import PHOTOS_PASSPHRASE
    from reclaim.demo.run import CASE

    with open_store(database_url) as store:
        logins = demo_logins(store, CASE)
    os.environ[PASSPHRASE_ENV] = PHOTOS_PASSPHRASE  # the demo vault's own (the attribution overlay reads it)
    out.print(f"\n[bold]Web UI[/]: http://127.0.0.1:{port}/  (Ctrl-C to stop)")
    for login in logins:
        out.print(f"  sign in as {login.role}: name [bold]{login.name}[/] password [bold]{login.password}[/]")
    run_server("127.0.0.1", port, 1, home=home, database_url=database_url)
