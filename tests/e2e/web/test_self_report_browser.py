"""The self-report page in a real browser (Playwright driving Debian's chromium) against ``reclaim serve``.

- Meta's PDQ reference images (../shared/evals/pdq) go through the page: the hashes it computed on the device
  are within 16 bits of python-threatexchange's (at most 6 at the median), quality within 10; MD5 and SHA-256
  are exact. One image is compared with pytx's hash of the pixels a browser shows rather than of pytx's own
  decode: the 16-bit greyscale I16.png, which Pillow clips to white (see ``as_browsers_show_16_bit``).
  Every request the page makes is inspected: none carries image bytes, none goes to another origin.
- End to end: a photo is self-reported in the browser, a re-encoded copy looked up with a partner's key
  matches, a wrong PIN is refused, and after withdrawal the copy stops matching by the server's next poll.
- A 12 MP photo's hashing time in the browser is measured and printed (not asserted).
- Phone-sized screenshots, Korean and English, go to ``RECLAIM_SCREENSHOTS`` (docs/screenshots via
  scripts/screenshots) or a temporary folder.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import numpy as np
import pytest
from PIL import Image
from playwright import sync_api
from threatexchange.signal_type.pdq.pdq_hasher import pdq_from_bytes

from reclaim.signals.pdq import hamming
from reclaim.synthetic.scenes import composite
from reclaim_testdata import answers, assert_pdq_agrees, eventually, free_port, running

pytest.importorskip("uvicorn", reason="needs reclaim[server]")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium (scripts/system-deps)")]
PHONE = {"width": 390, "height": 844}


@dataclass(frozen=True)
class Server:
    base: str
    key: str  # a partner platform's lookup key


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """``reclaim serve --workers 2`` on a fresh home, and a partner's API key with scope lookup."""
    folder = tmp_path_factory.mktemp("self-report-serve")
    env = {k: v for k, v in os.environ.items() if k != "RECLAIM_DATABASE_URL"} | {"RECLAIM_HOME": str(folder)}
    made = subprocess.run([sys.executable, "-m", "reclaim", "apikey", "create", "--name", "partner", "--scope",
                           "lookup"], env=env, capture_output=True, text=True, timeout=300, check=True)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    argv = [sys.executable, "-m", "reclaim", "serve", "--port", str(port), "--workers", "2"]
    # one decode worker per server worker: a single upload here, and each is an interpreter to start
    with running(argv, env | {"RECLAIM_DECODE_WORKERS": "1"}, folder / "serve.log", lambda: answers(f"{base}/status"),
                 "reclaim serve"):
        yield Server(base, made.stdout.strip().splitlines()[-1])


@dataclass
class Traffic:
    """Every request a page made, with its body."""

    requests: list[tuple[str, str, bytes]] = field(default_factory=list)  # method, url, body

    def watch(self, page: sync_api.Page) -> None:
        page.on("request", lambda r: self.requests.append((r.method, r.url, r.post_data_buffer or b"")))

    def reports(self) -> list[dict]:
        return [json.loads(body) for method, url, body in self.requests
                if method == "POST" and urlsplit(url).path == "/self-report"]

    def check(self, base: str, files: list[Path]) -> None:
        """No request left the page's origin, and no body holds any part of any picture."""
        origin = urlsplit(base)
        for method, url, body in self.requests:
            where = urlsplit(url)
            assert (where.scheme, where.netloc) == (origin.scheme, origin.netloc) or where.scheme in ("data", "blob"), \
                f"{method} {url}: a request to another origin"
            if where.scheme == "blob":
                assert where.path.startswith(base), f"{url}: a blob of another origin"
            for path in files:
                data = path.read_bytes()
                for at in (0, len(data) // 3, len(data) // 2, max(0, len(data) - 64)):
                    piece = data[at:at + 64]
                    assert piece not in body, f"{method} {url} carries bytes of {path.name}"
            if body:
                assert len(body) < 64 * 1024, f"{method} {url}: a {len(body)}-byte body"


def open_page(browser: sync_api.Browser, url: str) -> tuple[sync_api.BrowserContext, sync_api.Page, Traffic]:
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    page = context.new_page()
    traffic = Traffic()
    traffic.watch(page)
    page.goto(url)
    return context, page, traffic


def self_report(page: sync_api.Page, files: list[Path], timeout_ms: float = 600_000) -> tuple[str, str]:
    """Pick ``files``, wait for the hashes, consent, send; returns (case number, PIN) as the page shows them."""
    page.locator("input[type=file][name=photos]").set_input_files([str(f) for f in files])
    page.wait_for_selector("#progress[data-state=ready]", timeout=timeout_ms)
    page.locator("input[name=consent]").check()
    page.locator("button[type=submit]").click()
    number = page.wait_for_selector("[data-case-number]", timeout=60_000)
    pin = page.wait_for_selector("[data-pin]", timeout=60_000)
    assert number is not None and pin is not None
    return number.get_attribute("data-case-number") or "", pin.get_attribute("data-pin") or ""


def reference_images(evals: Path) -> list[Path]:
    return sorted(p for p in (evals / "pdq" / "images").rglob("*") if p.suffix.lower() in {".jpg", ".jpeg", ".png"})


def test_reference_images_hashed_in_the_browser_agree_with_pytx(browser: sync_api.Browser, server: Server,
                                                                evals: Path) -> None:
    images = reference_images(evals)
    assert len(images) >= 36
    context, page, traffic = open_page(browser, f"{server.base}/self-report?lang=en")
    try:
        number, pin = self_report(page, images)
    finally:
        context.close()
    assert number.startswith("SR-") and len(pin) == 8
    traffic.check(server.base, images)
    (report,) = traffic.reports()
    assert set(report) == {"consent", "items"} and len(report["items"]) == len(images)
    distances, gaps = [], []
    for path, item in zip(images, report["items"], strict=True):
        data = path.read_bytes()
        assert set(item) <= {"kind", "md5", "sha256", "pdq", "pdq_quality"}
        assert item["md5"] == hashlib.md5(data).hexdigest()  # noqa: S324 - the exchanged digest
        assert item["sha256"] == hashlib.sha256(data).hexdigest()
        expected, expected_quality = pdq_from_bytes(data)
        if (shown := as_browsers_show_16_bit(data)) is not None:
            clipped = hamming(expected, item["pdq"])
            expected, expected_quality = shown
            print(f"{clipped:3d} bits from pytx's own decode of 16-bit {path.name} (Pillow clips it to white)")
        distances.append(hamming(expected, item["pdq"]))
        gaps.append(abs(item["pdq_quality"] - expected_quality))
        print(f"{distances[-1]:3d} bits, quality {item['pdq_quality']} vs {expected_quality}: {path.name}")
    assert_pdq_agrees("browser PDQ (Meta's reference images)", distances, gaps)


def as_browsers_show_16_bit(data: bytes) -> tuple[str, int] | None:
    """pytx's hash of a 16-bit greyscale PNG as every browser renders it (the high byte of each sample); None for
    other images. pytx hands Pillow's ``I;16`` image to ``convert("RGB")``, which clips each 16-bit sample at
    255, so it hashes a mostly white picture (quality 36 for I16.png); a canvas cannot see those bits at all."""
    with Image.open(io.BytesIO(data)) as image:
        if image.mode not in ("I;16", "I;16B", "I"):
            return None
        grey = (np.asarray(image, dtype=np.uint32) >> 8).astype(np.uint8)
    with io.BytesIO() as buf:
        Image.fromarray(grey).convert("RGB").save(buf, "PNG")
        return pdq_from_bytes(buf.getvalue())


def photo_like(size: tuple[int, int], seed: int, faces: dict) -> Image.Image:
    """A benign photo-like picture: a generated composite, upscaled, with sensor-like noise."""
    w, h = size
    base = composite(faces["astronaut"], seed, (640, 480))
    pixels = np.asarray(base.resize(size, Image.BICUBIC)).astype(np.int16)
    pixels += np.random.default_rng(seed).integers(-8, 9, (h, w, 1), dtype=np.int16)
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def jpeg(image: Image.Image, quality: int) -> bytes:
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=quality)
    return buf.getvalue()


def partner_lookup(server: Server, data: bytes) -> list[dict]:
    answer = httpx.post(f"{server.base}/api/v1/m/lookup", files={"photo": ("copy.jpg", data, "image/jpeg")},
                        headers={"Authorization": f"Bearer {server.key}"}, timeout=60)
    assert answer.status_code == 200, answer.text
    return [m for bank in answer.json().get("pdq", {}).values() for m in bank]


def raw_lookup(server: Server, pdq: str) -> list[str]:
    answer = httpx.get(f"{server.base}/api/v1/m/raw_lookup", params={"signal_type": "pdq", "signal": pdq},
                       headers={"Authorization": f"Bearer {server.key}"}, timeout=60)
    assert answer.status_code == 200, answer.text
    return answer.json()["matches"]


def test_self_report_matches_a_reencoded_copy_until_withdrawn(browser: sync_api.Browser, server: Server,
                                                              tmp_path: Path, faces: dict, shots: Path) -> None:
    original = photo_like((1200, 900), 7, faces)
    photo = tmp_path / "mine.jpg"
    photo.write_bytes(jpeg(original, 92))
    copy = jpeg(original.resize((1000, 750), Image.LANCZOS), 60)  # as a platform would re-encode it
    assert partner_lookup(server, copy) == []
    context, page, traffic = open_page(browser, f"{server.base}/self-report")  # Korean by default
    try:
        assert page.locator("html").get_attribute("lang") == "ko"
        number, pin = self_report(page, [photo])
        page.screenshot(path=str(shots / "self-report-done-ko.png"), full_page=True)
        matches = partner_lookup(server, copy)
        assert [(m["bank_kind"], m["verified"]) for m in matches] == [("self-report", False)]
        copy_pdq = pdq_from_bytes(copy)[0]
        content_id = matches[0]["bank_content_id"]
        assert raw_lookup(server, copy_pdq) == [content_id]
        assert content_id.endswith("/1") and number not in content_id and matches[0]["distance"] <= 31

        page.goto(f"{server.base}/self-report/status")
        page.fill("input[name=case_number]", number)
        page.fill("input[name=pin]", "00000000" if pin != "00000000" else "11111111")
        page.click("button[type=submit]")
        assert page.locator("[role=alert]").is_visible()  # a wrong PIN is refused
        page.fill("input[name=case_number]", number)
        page.fill("input[name=pin]", pin)
        page.click("button[type=submit]")
        assert page.locator("[data-active]").inner_text() == "1"
        assert int(page.locator("[data-matches]").inner_text()) >= 1
        page.screenshot(path=str(shots / "self-report-status-ko.png"), full_page=True)
        page.click("button[name=withdraw]")
        page.wait_for_selector("[data-status=withdrawn]")
        # polled by the copy's hash (a GET), so the time is the server's, not the upload's
        took = eventually(lambda: not raw_lookup(server, copy_pdq), "the withdrawn copy still matches")
        print(f"withdrawn self-report: lookups stopped matching {took:.2f} s after the withdrawal")
        assert [raw_lookup(server, copy_pdq) for _ in range(10)] == [[]] * 10  # on both workers
        assert partner_lookup(server, copy) == []
        assert page.locator("[data-active]").inner_text() == "0"
    finally:
        context.close()
    traffic.check(server.base, [photo])


def test_phone_screenshots_and_12_megapixel_timing(browser: sync_api.Browser, server: Server, tmp_path: Path,
                                                   faces: dict, shots: Path) -> None:
    big = tmp_path / "12mp.jpg"
    big.write_bytes(jpeg(photo_like((4000, 3000), 11, faces), 90))
    small = [tmp_path / f"photo-{n}.jpg" for n in range(3)]
    for n, path in enumerate(small):
        path.write_bytes(jpeg(photo_like((800, 600), 20 + n, faces), 90))
    for lang in ("ko", "en"):
        context, page, traffic = open_page(browser, f"{server.base}/self-report?lang={lang}")
        try:
            page.locator("input[type=file][name=photos]").set_input_files([str(p) for p in small])
            page.wait_for_selector("#progress[data-state=ready]", timeout=120_000)
            assert page.locator("#previews canvas").count() == 3
            page.screenshot(path=str(shots / f"self-report-{lang}.png"), full_page=True)
        finally:
            context.close()
        traffic.check(server.base, small)
        assert traffic.reports() == []  # picking files sends nothing
    context, page, _ = open_page(browser, f"{server.base}/self-report?lang=en")
    try:
        page.locator("input[type=file][name=photos]").set_input_files(str(big))
        page.wait_for_selector("#progress[data-state=ready]", timeout=120_000)
        figure = page.locator("#previews figure").first
        ms = {part: int(figure.get_attribute(f"data-{part}-ms") or 0) for part in ("hash", "digest", "decode", "pdq")}
        pixels = int(figure.get_attribute("data-pixels") or 0)
    finally:
        context.close()
    assert pixels == 12_000_000
    load = os.getloadavg()[0]
    print(f"12 MP photo hashed in the browser in {ms['hash']} ms (MD5 + SHA-256 {ms['digest']}, decode {ms['decode']}, "
          f"PDQ {ms['pdq']}) on {os.cpu_count()} cores, load average {load:.1f}")
