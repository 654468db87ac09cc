"""``reclaim evidence ...``: export a signed, verifiable bundle, verify one, and read a case's custody log."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from reclaim.cli.output import emit_json, err, out
from reclaim.cli.passphrases import passphrase, photos_vault_if_given
from reclaim.errors import UserError
from reclaim.evidence.bundle import export_bundle
from reclaim.evidence.casefiles import CaseFiles
from reclaim.evidence.originals import acquire_originals, preview
from reclaim.evidence.verify import verify_bundle
from reclaim.store import open_store

app = typer.Typer(help="Evidence: signed bundles with a custody log, and their independent verification.",
                  no_args_is_help=True)
PASSPHRASE_ENV = "RECLAIM_EXPORT_PASSPHRASE"
VAULT_PASSPHRASE_ENV = "RECLAIM_VAULT_PASSPHRASE"


def _passphrase(confirm: bool, env: str = PASSPHRASE_ENV, what: str = "the originals") -> str:
    return passphrase(env, what, confirm=confirm)


@app.command("export")
def export(
    case: Annotated[str, typer.Argument(help="Case name.")],
    out_path: Annotated[Path, typer.Option("--out", help="Bundle file to write (.zip).")],
    include_originals: Annotated[bool, typer.Option(help="Also include the original media, encrypted with a "
                                                         f"passphrase (asked, or ${PASSPHRASE_ENV}).")] = False,
    actor: Annotated[str, typer.Option(help="Who exports (default: your user name).")] = "",
) -> None:
    """Export the case as a signed zip: manifest, custody log, blurred previews, HTML and PDF report."""
    originals = _passphrase(confirm=True) if include_originals else None
    with open_store() as store, store.session() as session:
        result = export_bundle(session, CaseFiles.for_case(case), out_path, actor=actor or getpass.getuser(),
                               originals_passphrase=originals, photos=photos_vault_if_given())
    out.print(f"wrote {escape(str(result.path))}: {result.items} items, {result.flagged} flagged, "
              f"{result.thumbnails} blurred previews, {result.originals} encrypted originals")
    if not result.pdf:
        err.print("[yellow]note:[/] " + escape("no PDF report (pip install 'reclaim[report]'); HTML is included"))
    out.print(f"manifest sha256 {result.manifest_sha256}")
    out.print(f"check it with: reclaim evidence verify {escape(str(out_path))}")


@app.command("verify")
def verify(
    bundle: Annotated[Path, typer.Argument(help="Bundle (.zip) to check.")],
    check_originals: Annotated[bool, typer.Option(help="Decrypt and check the originals too "
                                                       f"(passphrase asked, or ${PASSPHRASE_ENV}).")] = False,
    json: Annotated[bool, typer.Option("--json")] = False,
) -> int:
    """Recompute every hash, check the signatures and the custody chain; say exactly what is wrong."""
    result = verify_bundle(bundle, _passphrase(confirm=False) if check_originals else None)
    if json:
        emit_json({"bundle": str(bundle), "ok": result.ok, "problems": result.problems,
                   "key_fingerprint": result.key_fingerprint, "items": result.items,
                   "files_checked": result.files_checked, "custody_entries": result.custody_entries,
                   "originals_checked": result.originals_checked})
    elif result.ok:
        out.print(f"[green]OK[/] {escape(str(bundle))}: signature valid (key {(result.key_fingerprint or '')[:16]}…), "
                  f"{result.files_checked} files match, {result.custody_entries} custody entries chained and signed, "
                  f"{result.items} items" + (f", {result.originals_checked} originals decrypted and match"
                                             if check_originals else ""))
    else:
        for problem in result.problems:
            err.print(f"[red]FAIL[/] {escape(problem)}")
    return 0 if result.ok else 4


@app.command("acquire")
def acquire(
    case: Annotated[str, typer.Argument(help="Case name.")],
    actor: Annotated[str, typer.Option(help="Who acquires (default: your user name).")] = "",
) -> int:
    """Copy the flagged items' originals into the case's encrypted vault (passphrase: $RECLAIM_VAULT_PASSPHRASE)."""
    passphrase = _passphrase(confirm=True, env=VAULT_PASSPHRASE_ENV, what="the case vault")
    with open_store() as store, store.session() as session:
        result = acquire_originals(session, CaseFiles.for_case(case), passphrase, actor or getpass.getuser())
    out.print(f"vaulted {result.stored} originals ({result.already} were already in the vault)")
    for locator in result.unavailable:
        err.print(f"[yellow]not vaulted:[/] {escape(locator)}: file gone or changed since it was found")
    return 1 if result.unavailable else 0


@app.command("preview")
def preview_command(
    case: Annotated[str, typer.Argument(help="Case name.")],
    sha256: Annotated[str, typer.Argument(help="The vaulted item's sha256.")],
    out_path: Annotated[Path, typer.Option("--out", help="JPEG file to write.")],
    unblur: Annotated[bool, typer.Option(help="Show the real picture; recorded in the custody log.")] = False,
    actor: Annotated[str, typer.Option(help="Who looks (default: your user name).")] = "",
) -> None:
    """Write a blurred preview of a vaulted item (or, with --unblur, the picture itself, logged)."""
    passphrase = _passphrase(confirm=False, env=VAULT_PASSPHRASE_ENV, what="the case vault")
    data = preview(CaseFiles.for_case(case), sha256.lower(), passphrase, actor or getpass.getuser(), unblur=unblur)
    out_path.write_bytes(data)
    out.print(f"wrote {'UNBLURRED' if unblur else 'blurred'} preview {escape(str(out_path))}")


@app.command("log")
def log(
    case: Annotated[str, typer.Argument(help="Case name.")],
    json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Show the case's custody log after verifying its chain and signature."""
    files = CaseFiles.for_case(case)
    if not files.log_path.exists():
        raise UserError(f"case {case} has no custody log yet (it starts with the first scan or review)")
    custody = files.custody(getpass.getuser())
    custody.verify()
    entries = custody.entries()
    if json:
        for e in entries:
            emit_json({"seq": e.seq, "time": e.time, "actor": e.actor, "action": e.action,
                       "object_sha256": e.object_sha256, "details": e.details, "entry_hash": e.entry_hash})
        return
    table = Table("seq", "time (UTC)", "actor", "action", "object")
    for e in entries:
        table.add_row(str(e.seq), e.time, escape(e.actor), e.action, (e.object_sha256 or "")[:16])
    out.print(table)
    out.print(f"chain and signature verified: {len(entries)} entries, key {files.public_key().fingerprint[:16]}…")
