"""The same chat captured live and exported by Telegram Desktop (JSON and HTML) gives the same items."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Any

from fake_telegram import CHAT_ID, FakeTelegram, write_desktop_json

from reclaim.sources.telegram_common import HTML_UNKNOWN_FIELDS
from reclaim.store import open_store
from reclaim.store.models import Case, Item

sys.path.insert(0, str(Path(__file__).parents[2] / "unit" / "sources"))
from telegram_writer import write_html_export  # noqa: E402

# Where the three differ by nature: the export's file and folder, and when and by whom a capture was made.
PROVENANCE = {"export_format", "export_file", "media_path", "captured_at", "captured_by"}


def case_items(name: str) -> dict[str, dict[str, Any]]:
    """Each item of a case by message id: locator, status, hashes, matches and context."""
    with open_store() as store, store.session() as session:
        case = session.query(Case).filter(Case.name == name).one()
        rows = session.query(Item).filter(Item.case_id == case.id).all()
        return {r.locator.rsplit("/", 1)[1]: {
            "locator": r.locator, "status": r.status, "sha256": r.sha256,
            "signals": sorted((s.signal, s.version, s.value, s.quality) for s in r.signals),
            "matches": sorted((m.bank, m.content_id, m.signal, m.distance, m.suppressed) for m in r.matches),
            "context": dict(r.context), "size": r.size, "format": r.media_format, "width": r.width,
        } for r in rows}


def without(record: dict[str, Any], fields: set[str]) -> dict[str, Any]:
    return {**record, "locator": None, "context": {k: v for k, v in record["context"].items() if k not in fields}}


def test_live_capture_and_desktop_exports_give_identical_items(cli, tmp_path: Path, signed_in: FakeTelegram) -> None:
    known = tmp_path / "known.jpg"
    known.write_bytes(signed_in.room.known)
    assert cli("bank", "create", "known", "--kind", "known").code == 0
    assert cli("bank", "add", "known", known).code == 0
    assert cli("telegram", "capture", f"https://t.me/c/{CHAT_ID}", "--case", "live").code == 0
    result_json = write_desktop_json(signed_in.room, tmp_path / "ChatExport_2026-11-30")
    html = tmp_path / "ChatExport_html"
    shutil.copytree(result_json.parent, html, ignore=shutil.ignore_patterns("*.json"))
    write_html_export(result_json, html)
    assert cli("scan", result_json.parent, "--case", "json", "--workers", "1").code == 0
    assert cli("scan", html, "--case", "html", "--workers", "1").code == 0

    live, exported, from_html = case_items("live"), case_items("json"), case_items("html")
    assert set(live) == set(exported) == set(from_html) and len(live) == 10
    for mid, item in live.items():
        assert item["locator"] == exported[mid]["locator"] == f"telegram:{CHAT_ID}/{mid}"
        assert item["context"]["link"] == exported[mid]["context"]["link"] == f"https://t.me/c/{CHAT_ID}/{mid}"
        assert without(item, PROVENANCE) == without(exported[mid], PROVENANCE), mid
        html_masked = PROVENANCE | HTML_UNKNOWN_FIELDS
        assert without(item, html_masked) == without(from_html[mid], html_masked), mid
    assert live["2"]["matches"] and live["2"]["matches"] == exported["2"]["matches"] == from_html["2"]["matches"]
    assert sum(1 for i in live.values() if i["matches"]) == 1
    clip = live["11"]  # a video: hashed with vPDQ from the downloaded bytes as from the exported file
    assert clip["context"]["media_type"] == "video_file" and any(s[0] == "vpdq" for s in clip["signals"])
