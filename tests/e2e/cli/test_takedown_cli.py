"""``reclaim takedown`` end to end: scan, confirm, draft, send over SMTP with sign-off, re-check, stats, hash lists."""

from __future__ import annotations

import base64
import io
import sys
from email import message_from_bytes
from email.policy import default
from pathlib import Path

import pytest

from reclaim.evidence.casefiles import CaseFiles

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "unit" / "takedown"))
from takedown_seed import http_server, smtp_server  # noqa: E402

WHO = ("--name", "Kim Minji", "--email", "officer@support.example.org")


def test_takedown_from_scan_to_removal(cli, database_url: str, known_jpeg: Path, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    found = tmp_path / "found"
    found.mkdir()
    copy = found / "copy.jpg"
    copy.write_bytes(known_jpeg.read_bytes())
    assert cli("scan", found, "--case", "c9").code == 0
    sha = cli("case", "show", "c9", "--json").json_lines()[0]["sha256"]
    no_items = cli("takedown", "draft", "c9", "--platform", "generic", "--lang", "en", *WHO)
    assert no_items.code == 2 and "none of its 0 confirmed items" in no_items.err
    assert cli("case", "review", "c9", sha[:12], "--decision", "confirmed", "--reviewer", "kim").code == 0

    with http_server() as web, smtp_server() as (inbox, port):
        url = f"http://127.0.0.1:{web.server_port}/post/1"
        out = tmp_path / "notices"
        drafted = cli("takedown", "draft", "c9", "--platform", "generic", "--lang", "en", *WHO,
                      "--location", f"{copy}={url}", "--to", "abuse@host.example", "--out", out)
        assert drafted.code == 0 and "drafted request #1" in drafted.err
        text = (out / "c9-1-generic-en.txt").read_text()
        eml = (out / "c9-1-generic-en.eml").read_bytes()
        assert sha in text and url in text and "TAKE IT DOWN" in text
        assert str(found) not in text  # a local path can name people: it stays on this machine
        media = copy.read_bytes()
        for blob in (text.encode(), eml):
            assert media[:64] not in blob and base64.b64encode(media[:48]) not in blob  # no media, raw or encoded
        assert not message_from_bytes(eml, policy=default).is_multipart()
        korean = cli("takedown", "draft", "c9", "--platform", "kcsc", "--lang", "ko", *WHO,
                     "--location", f"{copy}={url}")
        assert korean.code == 0 and "방송통신심의위원회" in korean.out and sha in korean.out

        smtp = ("--smtp", f"127.0.0.1:{port}", "--no-starttls", "--officer", "kim")
        dry = cli("takedown", "send", "1", *smtp)
        assert dry.code == 0 and "dry run: nothing was sent" in dry.out and inbox.messages == []
        monkeypatch.setattr("sys.stdin", io.StringIO("n\n"))
        assert "not confirmed: #1" in cli("takedown", "send", "1", *smtp, "--confirm").out
        assert inbox.messages == []
        monkeypatch.setattr("sys.stdin", io.StringIO("y\n"))
        assert "sent: #1" in cli("takedown", "send", "1", *smtp, "--confirm").out
        assert len(inbox.messages) == 1 and sha in message_from_bytes(inbox.messages[0], policy=default).get_content()
        signed = [e for e in CaseFiles.for_case("c9").custody("test").entries() if e.action == "takedown.sent"]
        assert [(e.actor, e.details["request"], e.details["platform"]) for e in signed] == [("kim", 1, "generic")]

        (status,) = [r for r in cli("takedown", "status", "c9", "--json").json_lines() if r["id"] == 1]
        assert (status["state"], status["recipient"], status["overdue"]) == ("sent", "abuse@host.example", False)
        still = cli("takedown", "recheck", "c9")
        assert still.code == 0 and f"up {url}" in still.out
        web.taken_down = True
        gone = cli("takedown", "recheck", "c9")
        assert f"removed {url}: HTTP 410" in gone.out and "request #1: everything removed" in gone.out
    assert cli("takedown", "mark", "1", "sent", "--officer", "kim").code == 2  # removed is final
    (stats,) = cli("stats", "c9", "--json").json_lines()
    assert (stats["found"], stats["reported"], stats["removed"]) == (1, 1, 1)
    assert stats["platforms"][0]["platform"] == "generic"


def test_hash_list_round_trip_through_the_cli(cli, database_url: str, known_jpeg: Path, decoy_png: Path,
                                              tmp_path: Path) -> None:
    found = tmp_path / "found"
    found.mkdir()
    (found / "copy.jpg").write_bytes(known_jpeg.read_bytes())
    assert cli("scan", found, "--case", "c10").code == 0
    sha = cli("case", "show", "c10", "--json").json_lines()[0]["sha256"]
    assert cli("case", "review", "c10", sha, "--decision", "confirmed", "--reviewer", "kim").code == 0
    hashes = tmp_path / "c10.csv"
    hashes.write_text(cli("takedown", "export", "c10").out)
    assert str(found) not in hashes.read_text() and "c10" not in hashes.read_text()
    assert "partner: 1 added" in cli("takedown", "import", hashes, "--bank", "partner").out  # 1 item, 3 hashes
    assert cli("bank", "add", "partner", decoy_png).code == 0  # the partner's own, unrelated entry
    assert [m["bank"] for m in cli("match", known_jpeg, "--bank", "partner", "--json").json_lines()[0]["matches"]] \
        == ["partner"]
    assert cli("case", "review", "c10", sha, "--decision", "not_a_match", "--reviewer", "kim").code == 0
    withdrawals = tmp_path / "c10-withdrawn.json"
    withdrawals.write_text(cli("takedown", "export", "c10", "--withdrawals", "--format", "stopncii-json").out)
    assert "1 withdrawn" in cli("takedown", "import", withdrawals, "--bank", "partner").out  # same process
    assert cli("match", known_jpeg, "--bank", "partner", "--json").json_lines()[0]["matches"] == []
