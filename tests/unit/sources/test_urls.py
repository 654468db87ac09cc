"""URL lists over httpx.MockTransport (never the network): pages, images, redirects, 404, slow, huge, wrong types."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from reclaim.models import MediaItem, Skipped
from reclaim.sources import UrlListSource, source_for
from reclaim.sources.urls import FetchLimits
from reclaim.synthetic.scenes import jpeg_bytes, scene

JPEG = jpeg_bytes(scene(7, (64, 48)))
PAGE = (b'<html><head><meta property="og:image" content="/img/og.jpg"></head><body>'
        b'<img src="https://cdn.example/a.jpg"><video><source src="clip.mp4"></video><img src="/img/og.jpg"></body>')


def jpeg() -> httpx.Response:
    return httpx.Response(200, content=JPEG, headers={"content-type": "image/jpeg"})


def handler(request: httpx.Request) -> httpx.Response:
    url = str(request.url)
    routes = {
        "https://site.example/photo.jpg": jpeg,
        "https://site.example/old": lambda: httpx.Response(301, headers={"location": "https://site.example/photo.jpg"}),
        "https://site.example/gone": lambda: httpx.Response(404),
        "https://site.example/page": lambda: httpx.Response(200, content=PAGE, headers={"content-type": "text/html"}),
        "https://site.example/img/og.jpg": jpeg,
        "https://cdn.example/a.jpg": jpeg,
        "https://site.example/clip.mp4": lambda: httpx.Response(200, content=b"\x00\x00\x00\x18ftypmp42",
                                                                 headers={"content-type": "video/mp4"}),
        "https://site.example/huge.jpg": lambda: httpx.Response(200, content=b"\xff" * 5000,
                                                                 headers={"content-type": "image/jpeg"}),
        "https://site.example/endless": lambda: httpx.Response(200, headers={"content-type": "image/jpeg"},
                                                                content=iter([b"\xff" * 1000] * 10)),
        "https://site.example/doc.pdf": lambda: httpx.Response(200, content=b"%PDF-1.7",
                                                                headers={"content-type": "application/pdf"}),
        "https://site.example/loop": lambda: httpx.Response(302, headers={"location": "https://site.example/loop"}),
    }
    if url == "https://site.example/slow":
        raise httpx.ReadTimeout("timed out", request=request)
    return routes[url]()


def source(tmp_path: Path, *urls: str, **limits: int) -> UrlListSource:
    listing = tmp_path / "urls.txt"
    listing.write_text("# found by the hotline\n" + "\n".join(urls) + "\n")
    client = httpx.Client(transport=httpx.MockTransport(handler), follow_redirects=True, max_redirects=3)
    return UrlListSource(str(listing), client=client, fetch=FetchLimits(**limits))


def test_images_redirects_and_pages(tmp_path: Path) -> None:
    found = list(source(tmp_path, "https://site.example/photo.jpg", "https://site.example/old",
                        "https://site.example/page").iter_items())
    assert [(f.locator, type(f).__name__) for f in found] == [
        ("https://site.example/photo.jpg", "MediaItem"), ("https://site.example/old", "MediaItem"),
        ("https://site.example/img/og.jpg", "MediaItem"), ("https://cdn.example/a.jpg", "MediaItem"),
        ("https://site.example/clip.mp4", "MediaItem")]
    moved = found[1]
    assert isinstance(moved, MediaItem) and moved.data == JPEG and moved.path is None
    ctx = moved.context
    assert ctx["final_url"] == "https://site.example/photo.jpg" and ctx["redirects"] == ["https://site.example/old"]
    assert ctx["status"] == 200 and ctx["content_type"] == "image/jpeg" and ctx["size"] == len(JPEG)
    assert ctx["fetched_at"].endswith("Z") and ctx["headers"]["content-type"] == "image/jpeg"
    assert found[2].context["found_on"] == "https://site.example/page"


def test_failures_are_skipped_and_the_list_goes_on(tmp_path: Path) -> None:
    urls = ["https://site.example/gone", "https://site.example/slow", "https://site.example/huge.jpg",
            "https://site.example/endless", "https://site.example/doc.pdf", "https://site.example/loop",
            "ftp://site.example/x", "https://site.example/photo.jpg"]
    found = list(source(tmp_path, *urls, max_bytes=4000).iter_items())
    codes = {f.locator: f.code for f in found if isinstance(f, Skipped)}
    assert codes == {
        "https://site.example/gone": "http_status", "https://site.example/slow": "fetch_failed",
        "https://site.example/huge.jpg": "too_large", "https://site.example/endless": "too_large",
        "https://site.example/doc.pdf": "unsupported_content_type", "https://site.example/loop": "fetch_failed",
        "ftp://site.example/x": "bad_url",
    }
    assert isinstance(found[-1], MediaItem)
    reasons = {f.locator: f.reason for f in found if isinstance(f, Skipped)}
    assert reasons["https://site.example/gone"] == "https://site.example/gone: HTTP 404 Not Found"
    assert "ReadTimeout" in reasons["https://site.example/slow"]
    assert all("\n" not in r for r in reasons.values())


def test_routing_resume_and_scan_of_fetched_bytes(tmp_path: Path, cli, database_url: str,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    listed = source(tmp_path, "https://site.example/gone", "https://site.example/photo.jpg")
    assert type(source_for(listed.target)) is UrlListSource
    notes = tmp_path / "notes.txt"
    notes.write_text("just some notes\nhttps://example.org\n")
    assert not UrlListSource.claims(str(notes))
    assert [i.locator for i in listed.iter_items(resume_after="https://site.example/gone")] == [
        "https://site.example/photo.jpg"]

    real_client = httpx.Client
    monkeypatch.setattr(httpx, "Client", lambda **kw: real_client(transport=httpx.MockTransport(handler), **kw))
    report = cli("scan", listed.target, "--case", "web", "--json").json_lines()[0]
    assert (report["source"], report["items"], report["hashed"]) == ("urls", 2, 1)
    assert report["failed"] == [{"path": "https://site.example/gone", "code": "http_status",
                                 "error": "https://site.example/gone: HTTP 404 Not Found"}]
