"""``reclaim triage`` (a case's items by score, with why) and ``reclaim provenance`` (AI-generation leads)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from reclaim.cases.triage import triage_case
from reclaim.cli.output import emit_json, expand_paths, out
from reclaim.media import read_bytes
from reclaim.signals.provenance import provenance_leads
from reclaim.store import open_store

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def triage_command(
    case: Annotated[str, typer.Argument(help="The case to order.")],
    json: JsonOpt = False,
    top: Annotated[int, typer.Option(min=1, help="How many items to show.")] = 50,
    read_files: Annotated[bool, typer.Option(
        "--files/--no-files", help="Read each file for provenance leads (slower on big cases).")] = True,
) -> int:
    """The case's items, most certain and most harmful first, each with a one-line explanation."""
    with open_store() as store, store.session() as session:
        ranked = triage_case(session, case, read_files=read_files)[:top]
    if json:
        emit_json([{"path": t.locator, "score": t.score, "explanation": t.explanation} for t in ranked])
        return 0
    for t in ranked:
        colour = "red" if t.score >= 70 else "yellow" if t.score >= 30 else "dim"
        out.print(f"[{colour}]{t.score:3d}[/] {escape(t.locator)}  [dim]{escape(t.explanation)}[/]")
    return 0


def provenance_command(
    paths: Annotated[list[Path], typer.Argument(help="Image files or folders.")],
    json: JsonOpt = False,
) -> int:
    """Signs of AI generation or editing (C2PA, IPTC/XMP, software tags, SD text chunks, SD watermark): leads
    for a reviewer, never verdicts."""
    for entry in expand_paths(paths):
        if not isinstance(entry, Path):
            continue
        leads = provenance_leads(read_bytes(entry))
        if json:
            emit_json({"path": str(entry), "leads": [{"kind": lead.kind, "source": lead.source,
                                                      "evidence": lead.evidence} for lead in leads]})
        elif leads:
            out.print(f"[bold]{escape(str(entry))}[/]")
            for lead in leads:
                out.print(f"  {escape(str(lead))}")
        else:
            out.print(f"[dim]{escape(str(entry))}: no provenance lead[/]")
    return 0
