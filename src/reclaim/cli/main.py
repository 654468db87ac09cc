"""The ``reclaim`` app and the one place where errors become messages and exit codes.

Commands are listed here by name and one-line help and imported only when they run (``cli.lazy``), so
``reclaim --help`` and ``reclaim hash`` do not pay for SQLAlchemy, numba or OpenCV.
"""

from __future__ import annotations

import logging
import os
import sys

# Before anything imports numpy: Reclaim's parallelism is processes (scan and decode workers), so OpenBLAS's own
# threads would only compete with them; and starting them at numpy's import spins a core for ~0.14 s of CPU,
# a quarter of `reclaim hash one.jpg`. A user's own setting wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import typer
from typer.exceptions import TyperException

from reclaim.cli.lazy import Lazy, lazy_root
from reclaim.cli.output import err, escape
from reclaim.errors import ReclaimError

# name -> where the command lives and the line `reclaim --help` shows for it (the command's own first line);
# in the order `reclaim --help` lists them: commands, then groups
COMMANDS = {
    "hash": Lazy("reclaim.cli.hash_cmd:hash_command",
                 "Print sha256, md5 and PDQ (with quality) of every image; for a video, its vPDQ frames."),
    "match": Lazy("reclaim.cli.match_cmd:match_command",
                  "Look every image or video up in the banks, and for the faces of enrolled identities (unless "
                  "--bank narrows the search to banks); matches are listed best first with their distance."),
    "scan": Lazy("reclaim.cli.scan_cmd:scan_command",
                 "Scan a folder or export into a case; an interrupted scan resumes where it stopped when run again."),
    "demo": Lazy("reclaim.cli.demo_cmd:demo_command",
                 "Build a synthetic case from benign images, scan it, and show what Reclaim finds."),
    "attribute": Lazy("reclaim.cli.attribute_cmd:attribute_command",
                      "Rank source photos by how likely IMAGE's face was cut from them (keypoints + RANSAC, "
                      "aligned-crop PDQ, face distance for enrolled identities); the best one is the lead to show."),
    "provenance": Lazy("reclaim.cli.triage_cmd:provenance_command",
                       "Signs of AI generation or editing (C2PA, IPTC/XMP, software tags, SD text chunks, SD "
                       "watermark): leads for a reviewer, never verdicts."),
    "triage": Lazy("reclaim.cli.triage_cmd:triage_command",
                   "The case's items, most certain and most harmful first, each with a one-line explanation."),
    "stats": Lazy("reclaim.cli.takedown_cmd:stats_command",
                  "Items found, reported and removed, and the median time to removal per platform."),
    "serve": Lazy("reclaim.cli.serve_cmd:serve_command",
                  "Serve the web UI and the HMA-compatible matching API (OpenAPI docs at /docs). Needs the "
                  "server extra."),
    "audit": Lazy("reclaim.cli.account_cmd:audit_command",
                  "The server's access log: sign-ins, refusals, and every read of media or faces."),
    "bank": Lazy("reclaim.cli.bank_cmd:app",
                 "Named sets of known hashes: abusive content, a victim's own photos, false positives."),
    "case": Lazy("reclaim.cli.case_cmd:app", "Cases: the items scans found and what they matched."),
    "evidence": Lazy("reclaim.cli.evidence_cmd:app",
                     "Evidence: signed bundles with a custody log, and their independent verification."),
    "identity": Lazy("reclaim.cli.identity_cmd:app",
                     "People enrolled for face search, with their consent; face search answers only for them."),
    "takedown": Lazy("reclaim.cli.takedown_cmd:app",
                     "Removal requests: draft notices, send them, track them until the content is gone."),
    "telegram": Lazy("reclaim.cli.telegram_cmd:app",
                     "Capture Telegram chats your own account has joined, with custody from the first second "
                     "(pip install 'reclaim[telegram]')."),
    "user": Lazy("reclaim.cli.account_cmd:users", "People who sign in to the web UI: admins, case officers, victims."),
    "apikey": Lazy("reclaim.cli.account_cmd:apikeys", "Platforms' API keys for /m/lookup and bank changes."),
}

app = typer.Typer(
    name="reclaim",
    cls=lazy_root(COMMANDS),
    help="Find, prove and remove non-consensual intimate imagery: hash, bank, match and scan media.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # the root's help in click's plain layout: Rich's help renderer costs ~0.1 s to import
)


@app.callback()
def _root() -> None:
    """Every command is in ``COMMANDS``; this callback only makes ``reclaim`` a group."""


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; return the exit code (0 ok, 1 some items failed, 2 usage, 3 external, 4 integrity)."""
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    verbose = debug or "--verbose" in args
    args = [a for a in args if a not in ("--debug", "--verbose")]
    handler = _log_to_stderr(logging.DEBUG if debug else logging.INFO if verbose else logging.WARNING)
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
    finally:
        logging.getLogger("reclaim").removeHandler(handler)
    return result if isinstance(result, int) else 0


class _UvicornStyle(logging.Formatter):
    """``INFO:     reclaim.x: message``, as uvicorn prints its own lines, so a server's log reads as one."""

    def format(self, record: logging.LogRecord) -> str:
        line = f"{record.levelname + ':':<9} {record.name}: {record.getMessage()}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def _log_to_stderr(level: int) -> logging.Handler:
    """The library's log on stderr for this run: warnings and errors always, more with --verbose/--debug."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_UvicornStyle())
    handler.setLevel(level)
    logger = logging.getLogger("reclaim")
    logger.setLevel(min(level, logger.level or logging.WARNING))
    logger.addHandler(handler)
    return handler
