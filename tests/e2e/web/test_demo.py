"""``reclaim demo --serve``, built once for the module (each build takes a minute or more on a loaded 2-core
machine): the demo's report (every re-upload found, no decoy flagged, everything under --out), a second run over
the same folder, the logins it prints working over HTTP, and the web UI in a real browser.

The browser tests drive Debian's chromium (never a downloaded browser) through Playwright, signing in with the
printed logins. An officer opens the demo case, unblurs one item (and finds the audit entry), confirms a match,
exports the evidence bundle, finds the source photo of a matched face (the attribution overlay), drafts a
takedown and records it sent; the victim signs in and sees only their case, in Korean. Screenshots of the main
pages go to a temporary folder, or to ``RECLAIM_SCREENSHOTS`` (``scripts/screenshots`` sets docs/screenshots,
shown in the README).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import zipfile
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright import sync_api  # the test extra has it: CI runs these tests, never skips them

from reclaim_testdata import free_port, running

pytest.importorskip("uvicorn", reason="needs reclaim[server]")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = pytest.mark.slow
BROWSER_AVAILABLE = pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                       reason="needs Debian's chromium (scripts/system-deps)")
PHONE = {"width": 390, "height": 844}


@dataclass(frozen=True)
class Demo:
    base: str
    logins: dict[str, str]
    printed: str  # what ``reclaim demo --serve`` printed up to serving
    out: Path  # its --out
    home: Path  # its RECLAIM_HOME, which the demo must leave alone


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    folder, port = tmp_path_factory.mktemp("demo-serve"), free_port()
    env = {k: v for k, v in os.environ.items() if k != "RECLAIM_DATABASE_URL"}
    env |= {"RECLAIM_HOME": str(folder / "home"), "COLUMNS": "200"}
    log = folder / "demo.log"
    argv = [sys.executable, "-m", "reclaim", "demo", "--out", str(folder / "demo"), "--workers", "1", "--serve",
            "--port", str(port)]
    with running(argv, env, log, lambda: any(s in log.read_text() for s in (
            "Uvicorn running", "Application startup complete")), "reclaim demo --serve"):
        printed = log.read_text()
        logins = dict(re.findall(r"sign in as \w+: name (\w+) password (\S+)", printed))
        yield Demo(f"http://127.0.0.1:{port}", logins, printed, folder / "demo", folder / "home")


def test_demo_runs_offline_finds_every_reupload_and_runs_again(demo: Demo, cli, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    out = demo.out
    report = json.loads((out / "report.json").read_text())
    found, total = map(int, report["reuploads_found"].split("/"))
    assert found == total >= 8
    assert report["decoys_flagged"].startswith("0/")
    assert report["crops_and_banners_found"] == "8/8"  # crops, banners, a screenshot, a collage: by keypoints
    assert {Path(f["path"]).name for f in report["not_read"]} == {"truncated.jpg", "notes.jpg"}
    assert all(Path(loc).is_relative_to(out.resolve()) for loc in report["matches"])
    assert not demo.home.exists()  # the demo writes only under --out
    assert f"re-uploads found:    {found}/{total}" in demo.printed
    assert report["takedown"]["state"] == "removed" and len(report["takedown"]["notices"]) == 2
    evidence = report["evidence"]
    assert evidence["verified"] and evidence["confirmed"] + evidence["second_look"] == len(report["matches"])
    assert Path(evidence["report_pdf"]).read_bytes().startswith(b"%PDF")
    assert cli("evidence", "verify", evidence["bundle"]).code == 0
    faces = report["faces"]  # victims enrolled with consent, found in the fakes, each fake attributed
    assert (faces["faces_found"], faces["attributed_to_true_source"], faces["decoys_flagged"]) == ("6/6", "6/6", 0)
    assert Path(faces["overlay"]).is_file() and Path(faces["overlay"]).is_relative_to(out.resolve())

    telegram = report["telegram"]  # a generated group export: re-posts, the victim named, her number posted
    chat = "telegram:4242"
    assert (telegram["messages"], telegram["matched"]) == (7, [f"{chat}/2", f"{chat}/3", f"{chat}/4"])
    assert telegram["naming_the_victim"] == [f"{chat}/2", f"{chat}/4"]  # by her name, spaced out; by her number
    assert telegram["doxxing"] == [f"{chat}/4"]
    assert [(p["poster"], p["items"]) for p in telegram["posters"]] == [("dark_uploader", 2), ("reposter", 1)]

    shown = cli("case", "show", "demo", "--json")  # same database, reached the documented way
    assert shown.code == 2  # the user's own database has no demo case ...
    monkeypatch.setenv("RECLAIM_DATABASE_URL", report["database"])
    items = cli("case", "show", "demo", "--json").json_lines()
    matched = {i["path"] for i in items if any(not m["suppressed"] for m in i["matches"])}
    assert matched == set(report["matches"]) | set(report["faces"]["attribution"])  # known images and faces

    monkeypatch.delenv("RECLAIM_DATABASE_URL")
    # Run again over what the first run left (its database and case folder included; the served demo's open
    # SQLite journal aside): bank and case are rebuilt, not "already exists"
    again_out = tmp_path / "demo"
    shutil.copytree(out, again_out, ignore=shutil.ignore_patterns("reclaim.db-wal", "reclaim.db-shm"))
    again = cli("demo", "--out", again_out)
    assert again.code == 0, again.err
    assert json.loads((again_out / "report.json").read_text())["reuploads_found"] == report["reuploads_found"]


def _sign_in_http(base: str, name: str, password: str) -> httpx.Client:
    client = httpx.Client(base_url=base)
    form = client.get("/login").text
    token = form.split('name="csrf_token" value="')[1].split('"')[0]
    answer = client.post("/login", data={"username": name, "password": password, "csrf_token": token})
    assert answer.status_code in (303, 401), answer.text  # 303: signed in; 401: wrong password
    return client


def test_demo_serve_prints_a_url_and_logins_that_work(demo: Demo) -> None:
    assert f"{demo.base}/" in demo.printed
    assert set(demo.logins) == {"officer", "victim"}
    with closing(_sign_in_http(demo.base, "officer", demo.logins["officer"])) as officer:
        assert officer.get("/session").json()["role"] == "officer"
        assert "demo-known" in {b["name"] for b in officer.get("/c/banks").json()}  # staff see the banks
    with closing(_sign_in_http(demo.base, "victim", demo.logins["victim"])) as victim:
        me = victim.get("/session").json()
        assert me["role"] == "victim" and me["case_id"] is not None
        assert victim.get("/c/banks").status_code == 403  # a victim sees their case, not the banks
    with closing(_sign_in_http(demo.base, "officer", "wrong password")) as stranger:
        assert stranger.get("/session").status_code == 303  # not signed in: sent to the login form


def _snap(page: sync_api.Page, path: Path, *, full_page: bool = False) -> None:
    """A screenshot once every picture on screen has loaded (thumbnails load lazily)."""
    page.wait_for_load_state("networkidle")
    page.wait_for_function("[...document.images].filter(i => i.offsetParent !== null"
                           " && i.getBoundingClientRect().top < innerHeight).every(i => i.complete)")
    page.screenshot(path=path, full_page=full_page)


def _sign_in(page: sync_api.Page, demo: Demo, name: str) -> None:
    page.goto(f"{demo.base}/login")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", demo.logins[name])
    page.click("button[type=submit]")


@pytest.mark.browser
@BROWSER_AVAILABLE
def test_an_officer_works_the_demo_case(demo: Demo, browser: sync_api.Browser, shots: Path,
                                         tmp_path: Path) -> None:
    context = browser.new_context(accept_downloads=True, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    _sign_in(page, demo, "officer")
    sync_api.expect(page.locator("h1")).to_have_text("Cases")
    _snap(page, shots / "cases.png")

    page.click("a[href='/cases/demo']")
    sync_api.expect(page.locator("h1")).to_have_text("Case demo")
    cards = page.locator("article.card")
    assert cards.count() >= 8  # the demo's re-uploads, crops and screenshots, most likely first
    scores = [int(s) for s in page.locator("article.card .score").all_inner_texts()]
    assert scores == sorted(scores, reverse=True)
    _snap(page, shots / "review-queue.png", full_page=False)

    first = cards.first
    first.get_by_role("button", name="Unblur (logged)").click()
    sync_api.expect(first.locator("img.media.clear")).to_be_visible()
    page.goto(f"{demo.base}/audit")
    sync_api.expect(page.locator("td", has_text="media.unblurred").first).to_be_visible()
    _snap(page, shots / "audit.png")

    page.goto(f"{demo.base}/cases/demo")
    undecided = page.locator("article.card", has=page.get_by_role("button", name="Confirmed")).first
    item_id = undecided.get_attribute("id")
    undecided.get_by_role("button", name="Confirmed").click()
    sync_api.expect(page.locator(f"#{item_id} .decision.confirmed")).to_be_visible()

    with page.expect_download() as download:
        page.get_by_role("button", name="Export evidence bundle").click()
    bundle = tmp_path / "bundle.zip"
    download.value.save_as(bundle)
    assert {"manifest.json", "manifest.sig", "custody.jsonl"} <= set(zipfile.ZipFile(bundle).namelist())

    page.goto(f"{demo.base}/items/{item_id.removeprefix('item-')}")
    locator = page.locator("dt:text('Location') + dd").inner_text()

    page.goto(f"{demo.base}/cases/demo")
    face = page.locator("article.card", has_text="face of enrolled").first
    face.locator("a[href^='/items/']").click()
    sync_api.expect(page.locator("span.facebox").first).to_be_attached()
    page.get_by_role("button", name="Find the source photo (logged)").click()
    sync_api.expect(page.locator(".attribution img.media")).to_be_visible(timeout=60_000)
    assert page.locator(".attribution td").first.inner_text().endswith(".jpg")  # the enrolled photo it came from
    _snap(page, shots / "match-detail.png", full_page=True)
    page.goto(f"{demo.base}/cases/demo/takedowns")
    page.select_option("select[name=platform]", "x")
    page.select_option("select[name=lang]", "en")
    page.select_option("select[name=selection]", "matched")
    page.fill("input[name=email]", "officer@centre.example")
    page.fill("textarea[name=locations]", f"{locator}=https://x.com/someone/status/1")
    rows_before = page.locator("tr[id^=request-]").count()
    page.get_by_role("button", name="Draft request").click()
    sync_api.expect(page.locator("tr[id^=request-]")).to_have_count(rows_before + 1)
    sync_api.expect(page.locator("tr[id^=request-]").last).to_contain_text("drafted")
    _snap(page, shots / "takedowns.png", full_page=True)

    page.locator("tr[id^=request-]").last.locator("a").click()
    sync_api.expect(page.locator("pre.notice-text")).to_contain_text("https://x.com/someone/status/1")
    page.select_option("select[name=state]", "sent")
    page.fill("input[name=reference]", "X-20261129-1")
    page.fill("input[name=note]", "submitted through X's form")
    page.get_by_role("button", name="Record").click()
    sync_api.expect(page.locator("dd strong")).to_have_text("sent")
    sync_api.expect(page.locator("td", has_text="state.sent")).to_be_visible()
    _snap(page, shots / "takedown-request.png", full_page=True)

    page.goto(f"{demo.base}/cases/demo-telegram")  # the demo's Telegram group: who posted what, where, when
    sync_api.expect(page.locator("article.card .where").first).to_contain_text("by ")
    _snap(page, shots / "chat-review-queue.png")

    phone = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True)
    small = phone.new_page()
    _sign_in(small, demo, "officer")
    small.goto(f"{demo.base}/cases/demo")
    width = small.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"]  # nothing wider than the phone: no sideways scrolling
    _snap(small, shots / "phone-review-queue.png")
    for path in (f"/items/{item_id.removeprefix('item-')}", "/cases/demo/takedowns", "/cases/demo-telegram",
                 "/banks", "/audit"):
        small.goto(f"{demo.base}{path}")
        assert small.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], path
    phone.close()
    context.close()


@pytest.mark.browser
@BROWSER_AVAILABLE
def test_the_victim_sees_only_their_case(demo: Demo, browser: sync_api.Browser, shots: Path) -> None:
    context = browser.new_context(viewport={"width": 900, "height": 900}, locale="ko-KR")
    page = context.new_page()
    _sign_in(page, demo, "victim")
    sync_api.expect(page.locator("h1")).to_have_text("내 사건")
    assert int(page.locator(".big").first.inner_text()) > 0  # what was found, as a number
    _snap(page, shots / "victim-ko.png", full_page=True)
    for path in ("/", "/cases/demo", "/banks", "/audit"):
        answer = page.goto(f"{demo.base}{path}")
        assert answer is not None and answer.status == 403, path
        sync_api.expect(page.locator("h1")).to_have_text("Not allowed")
    page.goto(f"{demo.base}/my-case?lang=en")
    sync_api.expect(page.locator("h1")).to_have_text("Your case")
    context.close()
    phone = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, locale="ko-KR")
    small = phone.new_page()
    _sign_in(small, demo, "victim")
    sync_api.expect(small.locator("h1")).to_have_text("내 사건")
    assert small.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    phone.close()
