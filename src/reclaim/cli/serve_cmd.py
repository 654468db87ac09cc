"""``reclaim serve``: the HTTP API under uvicorn; each worker builds its own app over the same database."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from reclaim.cli.extras import require_extra
from reclaim.store import open_store


def serve_command(
    host: Annotated[str, typer.Option(help="Address to listen on (127.0.0.1: this machine only).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes; each holds the index in memory.")] = 1,
    access_log: Annotated[bool, typer.Option(
        "--access-log", help="Print a line per request, query string included (the hash or URL looked up).")] = False,
) -> None:
    """Serve the web UI and the HMA-compatible matching API (OpenAPI docs at /docs). Needs the server extra."""
    run_server(host, port, workers, access_log=access_log)


def run_server(host: str, port: int, workers: int, *, home: Path | None = None, database_url: str | None = None,
               access_log: bool = False) -> None:
    """Migrate once, then run uvicorn until interrupted; workers read RECLAIM_HOME (case files) and
    RECLAIM_DATABASE_URL from the environment, set here when given."""
    require_extra("reclaim serve", "server", "uvicorn", "fastapi")
    if home is not None:
        os.environ["RECLAIM_HOME"] = str(home)
    if database_url:
        os.environ["RECLAIM_DATABASE_URL"] = database_url
    open_store().close()  # migrate once here: workers starting together would race to create the tables
    from reclaim.server.serving import run_uvicorn

    run_uvicorn(host, port, workers, access_log=access_log)  # uvicorn.run, with TCP_NODELAY on every connection
