"""``reclaim identity``: enrol a person's own photos under recorded consent, list, remove, and read the audit log."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from reclaim.cli.output import emit_json, out
from reclaim.cli.passphrases import photos_vault
from reclaim.identities import audit_log, current_actor, enroll, list_identities, remove_identity
from reclaim.store import open_store

app = typer.Typer(help="People enrolled for face search, with their consent; face search answers only for them.",
                  no_args_is_help=True)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]


@app.command("enroll")
def enroll_command(
    name: Annotated[str, typer.Argument(help="A name for the person (a case reference works).")],
    photos: Annotated[list[Path], typer.Argument(help="The person's own photos, one clear face each.")],
    consent: Annotated[str, typer.Option("--consent", help="Who consented, when and to what (recorded).")],
    on_behalf_of: Annotated[str | None, typer.Option(
        "--on-behalf-of", help="Enrolling for someone else: who (e.g. 'victim, via officer Kim').")] = None,
    json: JsonOpt = False,
) -> int:
    """Enrol a person: their photos become face-search descriptors and attribution sources; the photos are
    kept encrypted (passphrase: $RECLAIM_IDENTITY_PASSPHRASE, or asked)."""
    actor = current_actor()
    vault = photos_vault()
    with open_store() as store, store.session() as session:
        summary = enroll(session, name, consent, photos, actor=actor, vault=vault, on_behalf_of=on_behalf_of)
    if json:
        emit_json({"identity": summary.name, "photos": summary.photos, "recorded_by": summary.recorded_by,
                   "on_behalf_of": summary.on_behalf_of})
    else:
        out.print(f"enrolled [bold]{escape(summary.name)}[/] from {summary.photos} photo(s); consent recorded "
                  f"by {escape(actor)}" + (f" on behalf of {escape(on_behalf_of)}" if on_behalf_of else ""))
    return 0


@app.command("list")
def list_command(json: JsonOpt = False) -> int:
    """The enrolled identities and the consent each rests on."""
    with open_store() as store, store.session() as session:
        identities = list_identities(session)
    if json:
        emit_json([{"identity": i.name, "photos": i.photos, "consent": i.consent, "recorded_by": i.recorded_by,
                    "on_behalf_of": i.on_behalf_of, "enrolled_at": i.enrolled_at.isoformat()} for i in identities])
        return 0
    table = Table("identity", "photos", "consent", "recorded by", "on behalf of", "enrolled")
    for i in identities:
        table.add_row(escape(i.name), str(i.photos), escape(i.consent), escape(i.recorded_by),
                      escape(i.on_behalf_of or "-"), i.enrolled_at.strftime("%Y-%m-%d %H:%M"))
    out.print(table if identities else "nobody is enrolled; face search is off")
    return 0


@app.command("remove")
def remove_command(name: Annotated[str, typer.Argument(help="The identity to delete.")]) -> int:
    """Delete an identity's descriptors and erase its photos at once (the audit log keeps that it happened)."""
    with open_store() as store, store.session() as session:
        photos = remove_identity(session, name, actor=current_actor())
    out.print(f"removed {escape(name)}: {photos} photo(s) and their descriptors deleted")
    return 0


@app.command("audit")
def audit_command(limit: Annotated[int, typer.Option(min=1, help="How many entries.")] = 50,
                  json: JsonOpt = False) -> int:
    """Every face query, refusal, enrolment and removal, newest first, with who asked."""
    with open_store() as store, store.session() as session:
        entries = audit_log(session, limit)
    if json:
        emit_json([{"at": e.at.isoformat(), "actor": e.actor, "action": e.action, "query": e.query,
                    "compared": e.compared, "faces": e.faces, "matched": e.matched, "outcome": e.outcome}
                   for e in entries])
        return 0
    table = Table("when", "who", "action", "about", "faces", "matched", "outcome")
    for e in entries:
        table.add_row(e.at.strftime("%Y-%m-%d %H:%M:%S"), escape(e.actor), e.action, escape(e.query),
                      str(e.faces), escape(", ".join(e.matched) or "-"), e.outcome)
    out.print(table)
    return 0
