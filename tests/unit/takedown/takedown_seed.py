"""A case with confirmed items on every kind of platform, written straight into the store (no hashing: fast)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from reclaim.cases import Decision, create_case, review_item
from reclaim.store import Store
from reclaim.store.models import Item, ItemSignal, Scan
from reclaim.takedown.notices import Capacity, Requester

CASE = "case-2026-041"
REQUESTER = Requester("Kim Minji", "officer@support.example.org", "Seoul Digital Sex Crime Support",
                      "+82-2-000-0000", Capacity.REPRESENTATIVE)


@dataclass(frozen=True)
class Seeded:
    locator: str
    location: str
    sha256: str
    pdq: str


def _hex(seed: int) -> str:
    return f"{seed:02x}" * 32


SEEDS = [
    # locator, context, location the notice must show
    ("telegram:1700000001/42", {"source": "telegram", "link": "https://t.me/c/1700000001/42",
                                "chat_name": "room-a", "poster": "uploader1", "posted_at": "2026-07-01T00:08:03Z"},
     "https://t.me/c/1700000001/42"),
    ("telegram:\"private room\"/7", {"source": "telegram", "link": None, "chat_name": "private room"},
     "telegram:\"private room\"/7"),
    ("https://x.com/someone/status/1234567890", {"url": "https://x.com/someone/status/1234567890"},
     "https://x.com/someone/status/1234567890"),
    ("https://files.example.net/u/fake1.jpg", {}, "https://files.example.net/u/fake1.jpg"),
    ("https://files.example.net/u/fake2.jpg", {}, "https://files.example.net/u/fake2.jpg"),
]


def seed_case(store: Store, case: str = CASE, decision: Decision = Decision.CONFIRMED) -> list[Seeded]:
    seeded = []
    with store.session() as session:
        case_row = create_case(session, case)
        scan = Scan(case_id=case_row.id, target="seed")
        session.add(scan)
        session.flush()
        for n, (locator, context, location) in enumerate(SEEDS, start=1):
            sha, pdq = _hex(n), _hex(0x40 + n)
            session.add(Item(case_id=case_row.id, scan_id=scan.id, locator=locator, context=context, status="hashed",
                             sha256=sha, signals=[ItemSignal(signal="sha256", version="1", value=sha),
                                                  ItemSignal(signal="pdq", version="1", value=pdq, quality=100)]))
            seeded.append(Seeded(locator, location, sha, pdq))
        session.flush()
        for s in seeded:
            review_item(session, case, s.locator, decision, "reviewer")
    return seeded


class Inbox:
    """An aiosmtpd handler that keeps every message the local test server accepts."""

    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:  # noqa: N802
        self.messages.append(envelope.original_content or envelope.content)
        return "250 OK"


@contextmanager
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    """A real SMTP server on 127.0.0.1 for one test (aiosmtpd), on a free port."""
    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


class _Handler(BaseHTTPRequestHandler):
    """Routes for re-check tests; the server's ``seen`` records every (method, path)."""

    PAGES = {
        "/up": (200, "text/html; charset=utf-8", b"<html><body>a gallery page</body></html>"),
        "/media.jpg": (200, "image/jpeg", b"\xff\xd8\xff\xe0 not really a jpeg"),
        "/gone404": (404, "text/html", b"not found"),
        "/gone410": (410, "text/html", b"gone"),
        "/removed": (200, "text/html; charset=utf-8", "<p>This content has been removed (삭제된 게시물)</p>".encode()),
    }

    def do_HEAD(self) -> None:  # noqa: N802
        self._answer(body=False)

    def do_GET(self) -> None:  # noqa: N802
        self._answer(body=True)

    def _answer(self, body: bool) -> None:
        self.server.seen.append((self.command, self.path))  # type: ignore[attr-defined]
        if self.path == "/slow":
            time.sleep(5.0)  # past any client timeout the tests use
        if self.path == "/moved":
            self.send_response(302)
            self.send_header("Location", "/removed")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if self.path == "/post/1" and self.server.taken_down:  # type: ignore[attr-defined]
            self.path = "/gone410"
        status, kind, content = self.PAGES.get(self.path, self.PAGES["/up"])
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        if body:
            self.wfile.write(content)

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def http_server() -> Iterator[ThreadingHTTPServer]:
    """A local web host on 127.0.0.1: up, 404, 410, a redirect to a 'removed' page, a slow page, a post."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.seen = []  # type: ignore[attr-defined]
    server.taken_down = False  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
