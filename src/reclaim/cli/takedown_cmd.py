"""``reclaim takedown ...`` (notices, sending, tracking, re-checks, hash lists) and ``reclaim stats``."""

from __future__ import annotations

import os
import re
import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.markup import escape
from rich.table import Table

from reclaim.cli.output import emit_json, err, out
from reclaim.evidence.casefiles import CaseFiles, case_slug
from reclaim.store import open_store
from reclaim.store.models import TakedownRequest
from reclaim.takedown.exchange import Format, export_case, import_hashes
from reclaim.takedown.notices import (
    Capacity,
    DraftSpec,
    Requester,
    Selection,
    draft_request,
    notice_text,
    parse_locations,
    to_email,
)
from reclaim.takedown.platforms import PLATFORMS, Channel
from reclaim.takedown.recheck import recheck_case
from reclaim.takedown.reuploads import find_reuploads
from reclaim.takedown.sending import SmtpSettings, outgoing, send_requests
from reclaim.takedown.stats import takedown_stats
from reclaim.takedown.tracking import State, get_request, remind, request_rows, transition

app = typer.Typer(help="Removal requests: draft notices, send them, track them until the content is gone.",
                  no_args_is_help=True)
CaseArg = Annotated[str, typer.Argument(help="Case name.")]
Officer = Annotated[str, typer.Option("--officer", help="The officer signing off (recorded).")]


@app.command("draft")
def draft(
    case: CaseArg,
    platform: Annotated[str, typer.Option(help=f"One of: {', '.join(PLATFORMS)}.")],
    lang: Annotated[str, typer.Option(help="Notice language: ko or en.")],
    name: Annotated[str, typer.Option(envvar="RECLAIM_REQUESTER_NAME", help="Requester's name.")],
    email: Annotated[str, typer.Option(envvar="RECLAIM_REQUESTER_EMAIL", help="Requester's e-mail.")],
    org: Annotated[str, typer.Option(envvar="RECLAIM_REQUESTER_ORG", help="Organisation.")] = "",
    phone: Annotated[str, typer.Option(envvar="RECLAIM_REQUESTER_PHONE", help="Telephone.")] = "",
    capacity: Annotated[Capacity, typer.Option(help="victim: the person depicted asks; representative: "
                                                    "someone authorised by them.")] = Capacity.REPRESENTATIVE,
    items: Annotated[Selection, typer.Option(help="confirmed items only, or every matched item not rejected.")]
    = Selection.CONFIRMED,
    to: Annotated[str, typer.Option(help="Recipient e-mail (default: the platform's abuse address).")] = "",
    reference: Annotated[str, typer.Option(help="Case reference printed on the notice (default: case name).")] = "",
    deadline_hours: Annotated[int | None, typer.Option(min=1, help="Follow-up deadline in hours.")] = None,
    victim_consent: Annotated[bool, typer.Option(help="The victim agreed to a support-center referral.")] = False,
    location: Annotated[list[str], typer.Option(help="LOCATOR=URL where an item is online (repeatable).")] = [],  # noqa: B006
    out_dir: Annotated[Path | None, typer.Option("--out", help="Write .txt (and .eml) files here.")] = None,
) -> None:
    """Draft a notice for the case's items on one platform; store it as a tracked request (state drafted)."""
    locations = parse_locations(location)
    spec = DraftSpec(platform, lang, Requester(name, email, org, phone, capacity), reference, to, items,
                     deadline_hours, victim_consent, locations)
    with open_store() as store, store.session() as session:
        request = draft_request(session, case, spec, actor=name)
    text = notice_text(request.subject, request.body)
    if out_dir is None:
        sys.stdout.write(text)
    else:
        out_dir.mkdir(parents=True, exist_ok=True)
        plain = re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9._-]*", case)  # else it may hold '/', '..', control chars
        stem = f"{case if plain else case_slug(case)}-{request.id}-{platform}-{lang}"
        (out_dir / f"{stem}.txt").write_text(text, encoding="utf-8")
        if request.channel == Channel.EMAIL.value and request.recipient:
            (out_dir / f"{stem}.eml").write_bytes(to_email(request).as_bytes())
    err.print(f"drafted request #{request.id} ({len(request.items)} items) for {escape(_where(request))}")


@app.command("send")
def send(
    request_ids: Annotated[list[int], typer.Argument(help="Request numbers to send.")],
    officer: Officer,
    smtp: Annotated[str, typer.Option(envvar="RECLAIM_SMTP", help="SMTP server HOST:PORT.")] = "localhost:587",
    starttls: Annotated[bool, typer.Option(help="Upgrade the SMTP connection with STARTTLS.")] = True,
    smtp_user: Annotated[str, typer.Option(envvar="RECLAIM_SMTP_USER")] = "",
    confirm: Annotated[bool, typer.Option("--confirm", help="Really send; you are asked y/N for each notice.")]
    = False,
) -> int:
    """Show the e-mails (dry run), or with --confirm send each one you approve and record your sign-off."""
    with open_store() as store:
        if not confirm:
            for request, message in outgoing(store, request_ids):
                out.print(f"[bold]request #{request.id}[/] would go to {escape(request.recipient)}:")
                out.print(escape(message.as_string()), markup=False)
            out.print("dry run: nothing was sent. Add --confirm to send, one confirmation per notice.")
            return 0
        settings = SmtpSettings.from_address(smtp, starttls=starttls, username=smtp_user,
                                             password=os.environ.get("RECLAIM_SMTP_PASSWORD", ""))

        def ask(request: TakedownRequest, message: object) -> bool:
            out.print(notice_text(request.subject, request.body), markup=False)
            return typer.confirm(f"Send request #{request.id} to {request.recipient} as {officer}?", default=False)

        report = send_requests(store, request_ids, officer, settings, ask, _custody)
    out.print(f"sent: {', '.join(f'#{i}' for i in report.sent) or 'none'}; "
              f"not confirmed: {', '.join(f'#{i}' for i in report.declined) or 'none'}")
    return 0


@app.command("mark")
def mark(
    request_id: Annotated[int, typer.Argument(help="Request number.")],
    state: Annotated[State, typer.Argument(help="The new state (e.g. sent after submitting a web form).")],
    officer: Officer,
    note: Annotated[str, typer.Option(help="Why, for the record.")] = "",
    reference: Annotated[str, typer.Option(help="The platform's ticket number.")] = "",
) -> None:
    """Record a state change by hand: a form submitted, an acknowledgement, a refusal, a removal."""
    with open_store() as store, store.session() as session:
        transition(session, get_request(session, request_id), state, officer, note=note, reference=reference,
                   custody=_custody)
    out.print(f"request #{request_id} is now {state.value}")


@app.command("status")
def status(case: Annotated[str | None, typer.Argument(help="Case name (default: all).")] = None,
           json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Every request with its state and deadline; overdue ones are flagged and get a reminder."""
    with open_store() as store, store.session() as session:
        rows = request_rows(session, case)
        reminded = {r.id for r in remind(session, rows)}
    if json:
        for r in rows:
            emit_json({"id": r.id, "case": r.case, "platform": r.platform, "lang": r.lang, "kind": r.kind,
                       "state": r.state, "recipient": r.recipient, "items": r.items, "removed": r.removed,
                       "sent_at": _iso(r.sent_at), "deadline_at": _iso(r.deadline_at), "overdue": r.overdue,
                       "reminded": r.id in reminded})
        return
    table = Table("#", "case", "platform", "lang", "kind", "state", "removed", "sent (UTC)", "deadline (UTC)")
    for r in rows:
        flag = " [bold red]OVERDUE[/]" if r.overdue else ""
        table.add_row(str(r.id), escape(r.case), r.platform, r.lang, r.kind, r.state + flag,
                      f"{r.removed}/{r.items}", _iso(r.sent_at) or "-", _iso(r.deadline_at) or "-")
    out.print(table if rows else "no takedown requests yet; draft one with 'reclaim takedown draft'")
    for r in rows:
        if r.id in reminded:
            out.print(f"[bold]reminder:[/] request #{r.id} to {r.platform} is past its deadline; "
                      f"'reclaim takedown recheck {escape(r.case)}' checks it and drafts an escalation")


@app.command("recheck")
def recheck(case: CaseArg, timeout: Annotated[float, typer.Option(min=0.1, help="Seconds per URL.")] = 15.0) -> None:
    """Look for re-uploads among the case's matches, then re-check every reported URL that is not gone."""
    with open_store() as store, store.session() as session:
        reuploads = find_reuploads(session, case)
        with httpx.Client(timeout=timeout, follow_redirects=True,
                          headers={"user-agent": "reclaim-recheck/0.1"}) as client:
            report = recheck_case(session, case, client)
    for loc in reuploads.found:
        out.print(f"[bold red]RE-UPLOAD[/] {escape(loc)}")
    for request_id in reuploads.drafts:
        out.print(f"drafted follow-up request #{request_id}")
    for check in report.checks:
        colour = {"removed": "green", "up": "red"}.get(check.outcome.value, "yellow")
        out.print(f"[{colour}]{check.outcome.value}[/] {escape(check.location)}: {escape(check.reason)}")
    for loc in report.not_checkable:
        out.print(f"[yellow]not checkable[/] {escape(loc)} (a private Telegram message: check it in the app)")
    for request_id in report.removed_requests:
        out.print(f"request #{request_id}: everything removed")
    for request_id in report.escalations:
        out.print(f"request #{request_id}: still up past the deadline; escalation drafted")


@app.command("export")
def export(
    case: CaseArg,
    format: Annotated[Format, typer.Option("--format")] = Format.HMA_CSV,
    withdrawals: Annotated[bool, typer.Option(help="List the hashes taken back instead.")] = False,
    case_number: Annotated[str, typer.Option(help="Opaque case number for StopNCII-style lists.")] = "",
) -> None:
    """Write the case's confirmed hashes (hashes only, no media, no names) to stdout."""
    with open_store() as store, store.session() as session:
        text = export_case(session, case, format, case_number=case_number, withdrawals=withdrawals)
    sys.stdout.write(text)


@app.command("import")
def import_command(file: Annotated[Path, typer.Argument(help="HMA CSV or StopNCII-style JSON.")],
                   bank: Annotated[str, typer.Option(help="Bank to add to (created as 'known' if new).")]) -> None:
    """Import a shared hash list: its hashes match from now on; its withdrawals stop matching at once."""
    with open_store() as store, store.session() as session:
        report = import_hashes(session, file, bank)
    out.print(f"{escape(bank)}: {report.added} added, {report.present} already there, "
              f"{report.withdrawn} withdrawn, {report.ignored} of signal types not matched here")


def stats_command(case: Annotated[str | None, typer.Argument(help="Case name (default: every case).")] = None,
                  json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Items found, reported and removed, and the median time to removal per platform."""
    with open_store() as store, store.session() as session:
        rows = takedown_stats(session, case)
    if json:
        for s in rows:
            emit_json({"scope": s.scope, "found": s.found, "confirmed": s.confirmed, "reported": s.reported,
                       "removed": s.removed, "platforms": [vars(p) for p in s.platforms]})
        return
    table = Table("scope", "platform", "found", "reported", "removed", "no response", "median h to removal")
    for s in rows:
        table.add_row(escape(s.scope), "all", str(s.found), str(s.reported), str(s.removed), "", "")
        for p in s.platforms:
            median = "-" if p.median_hours_to_removal is None else f"{p.median_hours_to_removal:g}"
            table.add_row("", p.platform, "", str(p.reported), str(p.removed), str(p.no_response), median)
    out.print(table)


def _custody(actor: str, action: str, object_sha256: str | None, details: dict[str, Any]) -> None:
    """A sign-off becomes a signed, chained entry in the case's own custody log too."""
    CaseFiles.for_case(details["case"]).record(actor, action, object_sha256, details)


def _where(request: TakedownRequest) -> str:
    if request.channel == Channel.FORM.value:
        return f"{request.platform}: submit it at {PLATFORMS[request.platform].address}, then 'reclaim takedown " \
               f"mark {request.id} sent'"
    return f"{request.platform} <{request.recipient or 'no recipient: give --to'}>"


def _iso(moment: datetime | None) -> str | None:
    return moment.strftime("%Y-%m-%d %H:%M") if moment is not None else None

