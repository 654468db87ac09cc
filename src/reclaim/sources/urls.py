"""A text file of URLs: fetch each (and the images/videos a page shows), keep what was where, and when.

Every fetch is evidence of where the content was: the final URL, status, redirect chain, headers and UTC
fetch time go into the item's context. Bodies are read as a stream and cut off at the size cap, so a
huge or endless response costs at most ``max_bytes``; timeouts, errors and wrong content types become
``Skipped`` entries and the list goes on. The ``httpx.Client`` is injectable: tests pass one built on
``httpx.MockTransport`` and never touch the network.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

from reclaim.errors import SourceError
from reclaim.media import Limits
from reclaim.models import MediaItem, Skipped
from reclaim.sources.base import Source

if TYPE_CHECKING:
    import httpx

_KEPT_HEADERS = ("content-type", "content-length", "last-modified", "etag", "server", "date")
_SNIFF_BYTES = 64 * 1024


@dataclass(frozen=True)
class FetchLimits:
    max_bytes: int = 64 * 1024 * 1024
    timeout_seconds: float = 20.0
    max_redirects: int = 5
    max_media_per_page: int = 50


class _MediaLinks(HTMLParser):
    """og:image / twitter:image, <img src>, <video src>, <source src>: what a page shows."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "meta" and (found.get("property") or found.get("name") or "") in ("og:image", "twitter:image"):
            self.links.append(found.get("content") or "")
        elif tag in ("img", "video", "source") and found.get("src"):
            self.links.append(found["src"] or "")


class UrlListSource(Source):
    name = "urls"

    def __init__(self, target: str, *, limits: Limits = Limits(), client: httpx.Client | None = None,
                 fetch: FetchLimits = FetchLimits()) -> None:
        import httpx  # here, not at import: every command that loads ``reclaim.sources`` would pay for it

        super().__init__(target, limits=limits)
        path = Path(target).expanduser()
        try:
            lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError as exc:
            raise SourceError(f"{target}: cannot read URL list ({exc.strerror or exc})") from exc
        self.urls = list(dict.fromkeys(line.strip() for line in lines if line.strip() and not line.startswith("#")))
        self.fetch = FetchLimits(min(fetch.max_bytes, limits.max_file_bytes), fetch.timeout_seconds,
                                 fetch.max_redirects, fetch.max_media_per_page)
        self.client = client or httpx.Client(timeout=fetch.timeout_seconds, follow_redirects=True,
                                             max_redirects=fetch.max_redirects)

    @classmethod
    def claims(cls, target: str) -> bool:
        path = Path(target).expanduser()
        if not path.is_file() or path.suffix.lower() != ".txt":
            return False
        try:
            with path.open("rb") as fh:
                head = fh.read(_SNIFF_BYTES).decode("utf-8", errors="replace")
        except OSError:
            return False
        lines = [line.strip() for line in head.splitlines() if line.strip() and not line.startswith("#")]
        if len(head) >= _SNIFF_BYTES:
            lines = lines[:-1]  # the sniff may have cut the last line
        return bool(lines) and all(line.lower().startswith(("http://", "https://")) for line in lines)

    def iter_items(self, resume_after: str | None = None) -> Iterator[MediaItem | Skipped]:
        start = self.urls.index(resume_after) + 1 if resume_after in self.urls else 0
        for url in self.urls[start:]:
            yield from self._fetch(url, page=None)

    def _fetch(self, url: str, page: str | None) -> Iterator[MediaItem | Skipped]:
        import httpx

        if urlsplit(url).scheme not in ("http", "https"):
            yield Skipped(url, f"{url}: not an http(s) URL", "bad_url")
            return
        fetched_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        try:
            with self.client.stream("GET", url, timeout=self.fetch.timeout_seconds) as response:
                body = self._body(url, response) if response.is_success else None
        except httpx.TooManyRedirects as exc:
            yield Skipped(url, f"{url}: more than {self.fetch.max_redirects} redirects ({exc})", "fetch_failed")
            return
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            yield Skipped(url, f"{url}: fetch failed ({type(exc).__name__}: {exc or 'no detail'})", "fetch_failed")
            return
        if isinstance(body, Skipped):
            yield body
            return
        kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
        context = {
            "source": "urls", "url": url, "final_url": str(response.url), "status": response.status_code,
            "redirects": [str(r.url) for r in response.history], "fetched_at": fetched_at, "content_type": kind,
            "headers": {k: response.headers[k] for k in _KEPT_HEADERS if k in response.headers}, "found_on": page,
        }
        if body is None:
            yield Skipped(url, f"{url}: HTTP {response.status_code} {response.reason_phrase}", "http_status")
        elif kind.startswith(("image/", "video/")):
            yield MediaItem(url, data=body, context={**context, "size": len(body)})
        elif kind in ("text/html", "application/xhtml+xml") and page is None:
            yield from self._page_media(str(response.url), body)
        else:
            yield Skipped(url, f"{url}: content type {kind or 'missing'} is not an image, video or page",
                          "unsupported_content_type")

    def _body(self, url: str, response: httpx.Response) -> bytes | Skipped:
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.fetch.max_bytes:
            return Skipped(url, f"{url}: {int(declared):,} bytes declared, over the limit of "
                           f"{self.fetch.max_bytes:,}", "too_large")
        chunks, size = [], 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > self.fetch.max_bytes:
                return Skipped(url, f"{url}: body passed the limit of {self.fetch.max_bytes:,} bytes; not kept",
                               "too_large")
            chunks.append(chunk)
        return b"".join(chunks)

    def _page_media(self, page_url: str, body: bytes) -> Iterator[MediaItem | Skipped]:
        parser = _MediaLinks()
        parser.feed(body.decode("utf-8", errors="replace"))
        links = list(dict.fromkeys(urljoin(page_url, link) for link in parser.links if link))
        for link in links[: self.fetch.max_media_per_page]:
            yield from self._fetch(link, page=page_url)
