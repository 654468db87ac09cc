"""``reclaim bank ...``: create banks, add files, withdraw entries, and move banks as hash lists."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from reclaim.banks import (
    add_content,
    create_bank,
    export_bank,
    get_bank,
    import_list,
    list_banks,
    withdraw_content,
)
from reclaim.cli.output import err, expand_paths, out
from reclaim.errors import AlreadyExists, UserError
from reclaim.exchange import Format
from reclaim.hashing import FileHashes, hash_files
from reclaim.matching.keypoints import Policy
from reclaim.models import BankKind, Skipped
from reclaim.signals.keypoints import bank_opt_in
from reclaim.store import open_store

RENUMBERED_SHOWN = 20  # old -> new HMA content ids printed by an import; the export lists them all

app = typer.Typer(help="Named sets of known hashes: abusive content, a victim's own photos, false positives.",
                  no_args_is_help=True)
NameArg = Annotated[str, typer.Argument(help="Bank name.")]


@app.command("create")
def create(
    name: NameArg,
    kind: Annotated[BankKind, typer.Option(help="known: content to find; reference: a victim's own photos; "
                                                "negative: known false positives to suppress.")] = BankKind.KNOWN,
    threshold: Annotated[int, typer.Option(help="PDQ match distance (0-128; Meta's default 31).")] = 31,
    keypoints: Annotated[Policy | None, typer.Option(
        help="When the keypoint stage (crops, screenshots, collages) searches this bank: always, unmatched "
             "(only what no hash matched) or never. Default: always for reference banks, else unmatched.")] = None,
) -> None:
    """Create an empty bank."""
    with open_store() as store, store.session() as session:
        create_bank(session, name, kind, threshold, keypoints.value if keypoints else None)
    out.print(f"created bank {escape(name)} ({kind.value}, pdq threshold {threshold})")


@app.command("add")
def add(
    name: NameArg,
    paths: Annotated[list[Path], typer.Argument(help="Image or video files, or folders, to hash into the bank.")],
    content_id: Annotated[str | None, typer.Option(help="Content id (default: the file name); one file only.")] = None,
    note: Annotated[str, typer.Option(help="Free-text note stored with each entry.")] = "",
) -> int:
    """Hash files and add them to a bank (hashes only; the media itself is not stored)."""
    entries = list(expand_paths(paths))
    files = [e for e in entries if isinstance(e, Path)]
    if content_id and len(files) != 1:
        raise UserError(f"--content-id names one entry, but {len(files)} files were given")
    failed = sum(1 for e in entries if isinstance(e, Skipped))
    for skipped in (e for e in entries if isinstance(e, Skipped)):
        err.print(f"[red]error:[/] {escape(skipped.reason)}")
    with open_store() as store, store.session() as session:
        bank = get_bank(session, name)
        for outcome in hash_files(files, opt_in=bank_opt_in()):
            if not isinstance(outcome, FileHashes):
                failed += 1
                err.print(f"[red]error:[/] {escape(outcome.error.message)}")
                continue
            cid = content_id or outcome.path.name
            try:
                with session.begin_nested():
                    add_content(session, bank, cid, outcome.values, note)
            except AlreadyExists as exc:
                failed += 1
                err.print(f"[red]error:[/] {escape(str(outcome.path))}: {escape(exc.message)}")
                continue
            frames = sum(1 for v in outcome.values if v.signal == "vpdq")
            what = f"{frames} vpdq frames" if frames else f"pdq quality {outcome.get('pdq').quality}"
            out.print(f"added {escape(cid)} to {escape(name)} ({what})")
    return 1 if failed else 0


@app.command("list")
def list_command() -> None:
    """List banks with their kind, threshold and entry counts."""
    with open_store() as store, store.session() as session:
        banks = list_banks(session)
    if not banks:
        out.print("no banks yet; create one with 'reclaim bank create NAME'")
        return
    table = Table("bank", "kind", "pdq threshold", "active", "withdrawn")
    for b in banks:
        table.add_row(escape(b.name), b.kind.value, str(b.pdq_threshold), str(b.active), str(b.withdrawn))
    out.print(table)


@app.command("withdraw")
def withdraw(name: NameArg, content_id: Annotated[str, typer.Argument(help="Content id to withdraw.")]) -> None:
    """Withdraw an entry: it stops matching at once, and stays on record as withdrawn."""
    with open_store() as store, store.session() as session:
        withdraw_content(session, name, content_id)
    out.print(f"withdrew {escape(content_id)} from {escape(name)}")


@app.command("import")
def import_command(name: NameArg, file: Annotated[Path, typer.Argument(
        help="Hash list: pytx signal file, HMA CSV or StopNCII JSON (detected).")]) -> None:
    """Import a hash list into the bank, all rows or none; its withdrawn rows withdraw (never add) the hash;
    rows of signal types Reclaim does not match on (pytx's raw_text, url...) are counted and left out. HMA
    content ids listed (hma-csv's hma_id) are kept when free and above every id in use, else renumbered (shown)."""
    with open_store() as store, store.session() as session:
        report = import_list(session, get_bank(session, name), file, strict=False)
    out.print(f"imported {report.added} entries into {escape(name)}; {report.present} already there, "
              f"{report.withdrawn} withdrawn, {report.ignored} of signal types not matched here")
    if report.ids_kept or report.renumbered:
        out.print(f"HMA content ids: {report.ids_kept} kept, {len(report.renumbered)} taken here and renumbered")
    for old, new in list(report.renumbered.items())[:RENUMBERED_SHOWN]:
        out.print(f"  HMA content id {old} -> {new}")
    if len(report.renumbered) > RENUMBERED_SHOWN:
        out.print(f"  ... and {len(report.renumbered) - RENUMBERED_SHOWN} more (see the bank's hma-csv export)")


@app.command("export")
def export(
    name: NameArg,
    format: Annotated[Format, typer.Option("--format", help="pytx: python-threatexchange's signal file "
                                                            "(withdrawn entries left out); hma-csv; stopncii-json."
                                           )] = Format.HMA_CSV,
    include_withdrawn: Annotated[bool, typer.Option(help="Also list withdrawn entries (marked).")] = False,
) -> None:
    """Write the bank's hashes to stdout in a hash-list format."""
    with open_store() as store, store.session() as session:
        sys.stdout.write(export_bank(session, name, format, include_withdrawn=include_withdrawn))
