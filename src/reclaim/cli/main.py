"""The ``reclaim`` app and the one place where errors become messages and exit codes."""

from __future__ import annotations

import sys

import typer
from rich.markup import escape
from typer.exceptions import TyperException

from reclaim.cli import (
    account_cmd,
    attribute_cmd,
    bank_cmd,
    case_cmd,
    demo_cmd,
    evidence_cmd,
    hash_cmd,
    identity_cmd,
    scan_cmd,
    serve_cmd,
    takedown_cmd,
    triage_cmd,
)
from reclaim.cli.output import err
from reclaim.errors import ReclaimError

app = typer.Typer(
    name="reclaim",
    help="Find, prove and remove non-consensual intimate imagery: hash, bank, match and scan media.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("hash")(hash_cmd.hash_command)
app.command("match")(hash_cmd.match_command)
app.command("scan")(scan_cmd.scan_command)
app.command("demo")(demo_cmd.demo_command)
app.command("attribute")(attribute_cmd.attribute_command)
app.command("provenance")(triage_cmd.provenance_command)
app.command("triage")(triage_cmd.triage_command)
app.add_typer(bank_cmd.app, name="bank")
app.add_typer(case_cmd.app, name="case")
app.add_typer(evidence_cmd.app, name="evidence")
app.add_typer(identity_cmd.app, name="identity")
app.add_typer(takedown_cmd.app, name="takedown")
app.command("stats")(takedown_cmd.stats_command)
app.command("serve")(serve_cmd.serve_command)
app.add_typer(account_cmd.users, name="user")
app.add_typer(account_cmd.apikeys, name="apikey")
app.command("audit")(account_cmd.audit_command)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; return the exit code (0 ok, 1 some items failed, 2 usage, 3 external, 4 integrity)."""
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    args = [a for a in args if a != "--debug"]
    try:
        result = app(args=args, prog_name="reclaim", standalone_mode=False)
    except ReclaimError as exc:
        if debug:
            raise
        err.print(f"[red]error:[/red] {escape(exc.message)}", markup=True)
        return exc.exit_code
    except TyperException as exc:  # usage errors from the parser: Typer prints them with a hint
        if callable(show := getattr(exc, "show", None)):  # usage errors show themselves; the base class cannot
            show()
        else:
            err.print(f"[red]error:[/red] {escape(exc.format_message())}", markup=True)
        return exc.exit_code
    except typer.Abort:
        err.print("aborted")
        return 130
    except KeyboardInterrupt:
        err.print("interrupted; run the same command again to resume")
        return 130
    return result if isinstance(result, int) else 0
