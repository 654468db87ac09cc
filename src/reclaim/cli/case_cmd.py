"""``reclaim case ...``: what each case holds and what matched."""

from __future__ import annotations

import getpass
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from reclaim.cases import Decision, case_bank_name, case_items, create_case, list_cases, review_item
from reclaim.cases.mentions import Term, doxxing, find_mentions, message_text
from reclaim.cases.service import ItemView
from reclaim.cases.terms import add_terms, case_terms, posters
from reclaim.cases.victims import add_victim, case_victims
from reclaim.cli.output import emit_json, match_text, out
from reclaim.evidence.acquisition import record_reviews
from reclaim.evidence.casefiles import CaseFiles
from reclaim.store import open_store

app = typer.Typer(help="Cases: the items scans found and what they matched.", no_args_is_help=True)


@app.command("new")
def new(
    name: Annotated[str, typer.Argument(help="Case name.")],
    note: Annotated[str, typer.Option(help="Free-text note (case number, victim alias).")] = "",
    victim: Annotated[list[str] | None, typer.Option(help="An enrolled identity this case is about (repeatable).")]
    = None,
) -> None:
    """Create an empty case (scans also create their case when it is new)."""
    with open_store() as store, store.session() as session:
        create_case(session, name, note)
        for person in victim or []:
            add_victim(session, name, person, actor=getpass.getuser())
    out.print(f"created case {escape(name)}" + (f" about {escape(', '.join(victim))}" if victim else ""))


@app.command("add-victim")
def add_victim_command(
    name: Annotated[str, typer.Argument(help="Case name.")],
    identity: Annotated[str, typer.Argument(help="An identity enrolled with consent ('reclaim identity enroll').")],
) -> None:
    """Link an enrolled identity to a case as one of its victims."""
    with open_store() as store, store.session() as session:
        add_victim(session, name, identity, actor=getpass.getuser())
    out.print(f"{escape(identity)} is now a victim in case {escape(name)}")


@app.command("review")
def review(
    name: Annotated[str, typer.Argument(help="Case name.")],
    items: Annotated[list[str], typer.Argument(
        help="The items' paths/locators, or their sha256 (8+ leading digits): one or more, one decision.")],
    decision: Annotated[Decision, typer.Option(help="Your decision on the items.")],
    reviewer: Annotated[str, typer.Option(help="Who decides (default: your user name).")] = "",
    note: Annotated[str, typer.Option(help="Why, for the record.")] = "",
) -> None:
    """Record a review decision on one or more items; confirmed items are banked so later scans catch their
    re-uploads. All or nothing: an item the case does not hold records none of them."""
    with open_store() as store, store.session() as session:
        # every decision is in the database before any reaches the custody log, which cannot be rolled back
        recorded = [review_item(session, name, item, decision, reviewer or getpass.getuser(), note) for item in items]
        record_reviews(session, CaseFiles.for_case(name), recorded, getpass.getuser())
    extra = f"; their hashes are now in bank {case_bank_name(name)}" if decision is Decision.CONFIRMED else ""
    which = escape(items[0]) if len(items) == 1 else f"{len(items)} items"
    out.print(f"recorded {decision.value} for {which} in case {escape(name)}{extra}")


@app.command("list")
def list_command(json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """List cases with item, failure and match counts."""
    with open_store() as store, store.session() as session:
        cases = list_cases(session)
    if json:
        for c in cases:
            emit_json({"case": c.name, "items": c.items, "failed": c.failed, "matched": c.matched})
        return
    if not cases:
        out.print("no cases yet; 'reclaim scan PATH --case NAME' creates one")
        return
    table = Table("case", "items", "failed/skipped", "matched")
    for c in cases:
        table.add_row(escape(c.name), str(c.items), str(c.failed), str(c.matched))
    out.print(table)


@app.command("items")
def items_command(
    name: Annotated[str, typer.Argument(help="Case name.")],
    json: Annotated[bool, typer.Option("--json", help="One JSON object per item, one per line.")] = False,
) -> None:
    """Every item of a case with where it was found: who posted it, in which chat, when, and what it matched."""
    with open_store() as store, store.session() as session:
        items = case_items(session, name)
        terms = case_terms(session, name)
    rows = [item_record(item, terms) for item in items]
    if json:
        for row in rows:
            emit_json(row)
        return
    table = Table("locator", "posted (UTC)", "poster", "chat", "media", "matches")
    for item, row in zip(items, rows, strict=True):
        media = "missing" if row["missing_media"] else row["media_type"] or ""
        best = next((m for m in item.matches if not m.suppressed), None)
        table.add_row(escape(row["locator"]), row["posted_at"] or "", escape(row["poster"] or ""),
                      escape(row["chat"] or ""), media, escape(best.found) if best else "")
    out.print(table)


def item_record(item: ItemView, terms: list[Term]) -> dict[str, Any]:
    """The fields an investigator hands on for one item; source context the source did not give is null.
    ``mentions`` are the case's terms the message names; ``doxxing`` the kinds of personal data it posts
    beside media."""
    context = item.context
    text = message_text(context)
    has_media = bool(context.get("media_type")) or item.sha256 is not None
    return {
        "locator": item.locator, "posted_at": context.get("posted_at"),
        "posted_at_local": context.get("posted_at_local"), "poster": context.get("poster"),
        "poster_id": context.get("poster_id"), "chat": context.get("chat_name"),
        "caption": context.get("caption"), "forwarded_from": context.get("forwarded_from"),
        "media_type": context.get("media_type"), "missing_media": bool(context.get("missing_media", False)),
        "link": context.get("link"), "status": item.status, "sha256": item.sha256, "pdq": item.pdq,
        "mentions": [{"kind": m.kind, "term": m.term} for m in find_mentions(text, terms)],
        "doxxing": doxxing(text) if has_media else [],
        "matches": [m.as_json() for m in item.matches],
    }


@app.command("terms")
def terms_command(
    name: Annotated[str, typer.Argument(help="Case name.")],
    names: Annotated[list[str] | None, typer.Option("--name", help="The victim's name (any spelling; repeat).")] = None,
    handles: Annotated[list[str] | None, typer.Option("--handle", help="An account handle (repeat).")] = None,
    schools: Annotated[list[str] | None, typer.Option("--school", help="School or workplace (repeat).")] = None,
    phones: Annotated[list[str] | None, typer.Option("--phone", help="A phone number (repeat).")] = None,
    json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Add (or list) the words that mark a message as about the case's victim; `case items` flags them,
    spaced or dotted out, in every message."""
    given = [Term(kind, value) for kind, values in (("name", names), ("handle", handles), ("school", schools),
                                                    ("phone", phones)) for value in values or []]
    with open_store() as store, store.session() as session:
        added = add_terms(session, name, given, actor=getpass.getuser()) if given else 0
        terms = case_terms(session, name)
    if json:
        emit_json({"case": name, "added": added, "terms": [{"kind": t.kind, "value": t.value} for t in terms]})
        return
    if given:
        out.print(f"case [bold]{escape(name)}[/]: {added} term(s) added")
    for term in terms:
        out.print(f"  {term.kind}: {escape(term.value)}")


@app.command("posters")
def posters_command(
    name: Annotated[str, typer.Argument(help="Case name.")],
    json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Who posted the case's matching items, how many, first and last time, in which chats."""
    with open_store() as store, store.session() as session:
        found = posters(case_items(session, name))
    if json:
        for poster in found:
            emit_json(poster.as_json())
        return
    table = Table("poster", "id", "items", "first posted", "last posted", "chats")
    for p in found:
        table.add_row(escape(p.poster or ""), escape(p.poster_id or ""), str(p.items), p.first_posted or "",
                      p.last_posted or "", escape(", ".join(sorted(p.chats))))
    out.print(table)


@app.command("show")
def show(
    name: Annotated[str, typer.Argument(help="Case name.")],
    all_items: Annotated[bool, typer.Option("--all", help="List every item, not only matches and failures.")] = False,
    json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Show a case's matched items (best match first) and the files that could not be read."""
    with open_store() as store, store.session() as session:
        items = case_items(session, name)
        victims = case_victims(session, name)
    if json:
        for item in items:
            emit_json({
                "path": item.locator, "status": item.status, "sha256": item.sha256, "pdq": item.pdq,
                "error": item.error, "decision": item.decision, "reviewer": item.reviewer, "context": item.context,
                "matches": [m.as_json() for m in item.matches],
            })
        return
    matched = [i for i in items if i.matched]
    failed = [i for i in items if i.error]
    out.print(f"case [bold]{escape(name)}[/]: {len(items)} items, {len(matched)} matched, {len(failed)} not readable")
    if victims:
        out.print("victims: " + escape(", ".join(str(v["name"]) for v in victims)))
    for item in matched:
        best = next(m for m in item.matches if not m.suppressed)
        decided = f"({item.decision} by {item.reviewer})" if item.decision else "(not reviewed)"
        more = f" (+{len(item.matches) - 1} more)" if len(item.matches) > 1 else ""
        out.print(f"[bold red]MATCH[/] {escape(item.locator)} {escape(decided)}")
        out.print(f"  {escape(best.found)}: {escape(match_text(best.as_json()))}{more}")
    for item in failed:
        out.print(f"[yellow]not read[/] {escape(item.error or '')}")
    if all_items:
        for item in items:
            if item not in matched and item not in failed:
                out.print(f"[green]no match[/] {escape(item.locator)}")
