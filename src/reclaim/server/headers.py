"""Security headers on every response: what a browser may load, frame, sniff and keep.

The pages load scripts only from this server (htmx, vendored; Swagger UI from the ``swagger-ui-bundle``
package), so the CSP allows no inline script and no other origin; inline ``style`` attributes stay allowed
(the face boxes are positioned with them; CSS cannot run script). No page may be framed (clickjacking an
officer into unblurring), no response is sniffed into another type, and HTML pages (case data, pictures,
CSRF tokens) are never stored by a browser or proxy.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
ALWAYS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
}
NO_STORE = "no-store, private"


class SecurityHeaders:
    """ASGI middleware adding ``ALWAYS`` to each response, and ``Cache-Control: no-store`` to HTML and JSON
    that set no caching of their own (static files keep theirs)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in ALWAYS.items():
                    headers.setdefault(name, value)
                kind = headers.get("content-type", "")
                if kind.startswith(("text/html", "application/json")) and "cache-control" not in headers:
                    headers["Cache-Control"] = NO_STORE
            await send(message)

        await self.app(scope, receive, with_headers)
