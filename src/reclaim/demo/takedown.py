"""The takedown part of ``reclaim demo``: Korean and English notices for the demo case's matches, one request
recorded as sent (no e-mail leaves the machine), and a local web host that takes the items down, which a
re-check then finds. Everything runs on 127.0.0.1.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import BinaryIO

import httpx

from reclaim.store import Store
from reclaim.takedown.notices import DraftSpec, Requester, Selection, draft_request, notice_text
from reclaim.takedown.recheck import recheck_case
from reclaim.takedown.tracking import State, get_request, transition

OFFICER = Requester("Demo Officer", "officer@example.org", "Reclaim demo centre")


@dataclass(frozen=True)
class TakedownDemo:
    notices: list[Path]
    request_id: int
    reported: int
    removed: int
    state: str


def demo_takedown(store: Store, case: str, found: Path, notices: Path) -> TakedownDemo:
    notices.mkdir(parents=True, exist_ok=True)
    with _host(found) as (base, taken_down):
        locations = {str(p): f"{base}/{p.relative_to(found).as_posix()}" for p in found.rglob("*") if p.is_file()}
        written = []
        with store.session() as session:
            for lang in ("ko", "en"):
                spec = DraftSpec("generic", lang, OFFICER, selection=Selection.MATCHED, locations=locations,
                                 recipient="abuse@host.example")
                request = draft_request(session, case, spec, actor=OFFICER.name)
                path = notices / f"{case}-{request.id}-generic-{lang}.txt"
                path.write_text(notice_text(request.subject, request.body), encoding="utf-8")
                written.append(path)
            transition(session, request, State.SENT, OFFICER.name, note="demo: recorded as sent; no e-mail left")
            taken_down.update(f"/{i.location.removeprefix(base + '/')}" for i in request.items)
        with httpx.Client(timeout=5, follow_redirects=True) as client, store.session() as session:
            report = recheck_case(session, case, client)
            final = get_request(session, request.id)
            removed = sum(1 for c in report.checks if c.outcome.value == "removed")
            return TakedownDemo(written, final.id, len(final.items), removed, final.state)


@contextmanager
def _host(folder: Path) -> Iterator[tuple[str, set[str]]]:
    """Serve ``folder`` on 127.0.0.1; paths added to the yielded set answer 410 Gone from then on."""
    taken_down: set[str] = set()

    class Handler(SimpleHTTPRequestHandler):
        def send_head(self) -> io.BytesIO | BinaryIO | None:
            if self.path in taken_down:
                self.send_error(410, "removed after a takedown notice")
                return None
            return super().send_head()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(Handler, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", taken_down
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
