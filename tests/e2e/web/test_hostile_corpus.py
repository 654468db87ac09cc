"""The hostile corpus end to end: scan -> review -> evidence export -> takedown draft, then the signed
report opened in Debian's chromium. No script runs, notices hold no control characters, and the scan names
every bad message with its reason."""

from __future__ import annotations

import shutil
import unicodedata
import zipfile
from pathlib import Path

import pytest
from playwright import sync_api

from hostile_corpus import HOSTILE, MARKUP, SCRIPT, hostile_export

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium (scripts/system-deps)")]
CASE = f"case {SCRIPT}"
CONTENT_ID = f"id{SCRIPT}{MARKUP}"


def controls(text: str) -> set[str]:
    """Control, line- and paragraph-separator characters other than the notice's own newlines."""
    return {ch for ch in text if ch != "\n" and unicodedata.category(ch) in ("Cc", "Zl", "Zp")}


def test_the_hostile_corpus_end_to_end(cli, tmp_path: Path) -> None:
    export = hostile_export(tmp_path / "export")
    assert cli("bank", "create", "known").code == 0
    assert cli("bank", "add", "known", export / "photos" / "a.jpg", "--content-id", CONTENT_ID).code == 0

    scanned = cli("scan", export, "--case", CASE, "--json", "--workers", "1")
    (report,) = scanned.json_lines()
    failed = {f["path"]: (f["code"], f["error"]) for f in report["failed"]}
    assert {loc: code for loc, (code, _) in failed.items()} == {
        "telegram:1500/?2": "bad_message", "telegram:1500/?3": "bad_message", "telegram:1500/4": "bad_message",
        "telegram:1500/5": "bad_message", "telegram:1500/6": "path_escapes_root"}
    assert all(reason.strip() for _, reason in failed.values())
    assert {m["path"] for m in report["matches"]} == {"telegram:1500/1", "telegram:1500/7"}

    for item in ("telegram:1500/1", "telegram:1500/7"):
        assert cli("case", "review", CASE, item, "--decision", "confirmed", "--reviewer", HOSTILE,
                   "--note", HOSTILE).code == 0
    bundle = tmp_path / "bundle.zip"
    assert cli("evidence", "export", CASE, "--out", bundle).code == 0
    assert cli("evidence", "verify", bundle).code == 0

    notices = tmp_path / "notices"
    drafted = cli("takedown", "draft", CASE, "--platform", "telegram", "--lang", "en", "--name", f"Kim{HOSTILE}",
                  "--email", "officer@support.example.org", "--org", HOSTILE, "--reference", HOSTILE,
                  "--out", notices)
    assert drafted.code == 0, drafted.err
    written = sorted(notices.iterdir())
    assert {p.suffix for p in written} >= {".txt", ".eml"}
    for notice in written:
        text = notice.read_bytes().decode("utf-8").replace("\r\n", "\n")  # e-mail lines end in CRLF
        assert not controls(text), (notice.name, controls(text))
        assert not any(line.lstrip().startswith("X-Injected") for line in text.splitlines())

    site = tmp_path / "bundle"
    with zipfile.ZipFile(bundle) as zf:
        zf.extractall(site)
    html = (site / "report.html").read_text()
    assert SCRIPT not in html and "onerror=alert" not in html.replace("onerror=alert(1)&gt;", "")
    dialogs: list[str] = []
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
            page.goto((site / "report.html").as_uri(), wait_until="load")
            page.wait_for_timeout(500)
            assert page.evaluate("document.querySelectorAll('script, svg, iframe, object, embed').length") == 0
            assert page.evaluate("[...document.querySelectorAll('*')].filter(e => [...e.attributes]"
                                 ".some(a => a.name.startsWith('on'))).length") == 0
            shown = page.inner_text("body")
            assert "<script>alert(document.domain)</script>" in shown  # shown as text, for the court to read
            assert CONTENT_ID.split("<")[0] in shown
        finally:
            browser.close()
    assert dialogs == []
