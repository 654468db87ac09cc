"""``reclaim scan <Telegram export>``: a planted re-upload is found, with the message it was posted in."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from reclaim.store import open_store
from reclaim.store.models import Item
from reclaim.synthetic.scenes import GLOBAL_EDITS, jpeg_bytes

CHANNEL = "telegram:1292077344"


@pytest.fixture
def export(evals: Path, tmp_path: Path, known_jpeg: Path) -> Path:
    """The real tg2md channel export with its album photo replaced by a shrunk re-upload of the known image."""
    root = tmp_path / "ChatExport_2021-07-14"
    shutil.copytree(evals / "telegram" / "tg2md_test_channel", root, copy_function=shutil.copyfile)
    for folder in [root, *[p for p in root.rglob("*") if p.is_dir()]]:
        folder.chmod(0o755)
    with Image.open(known_jpeg) as im:
        reupload = GLOBAL_EDITS["resize_0.5"](im.convert("RGB"))
    (root / "photos" / "photo_3@14-07-2021_18-52-46.jpg").write_bytes(jpeg_bytes(reupload, 75))
    data = json.loads((root / "result.json").read_text())
    data["messages"].append({"id": 30, "type": "message", "date": "2021-07-15T10:00:00", "from": "test",
                             "from_id": "channel1292077344", "width": 640, "height": 480, "text": "gone",
                             "photo": "(File not included. Change data exporting settings to download.)"})
    data["messages"].append({"id": 31, "type": "message", "date": "2021-07-15T10:01:00", "from": "test",
                             "from_id": "channel1292077344", "photo": "../../etc/passwd", "text": ""})
    (root / "result.json").write_text(json.dumps(data, ensure_ascii=False))
    return root


def test_scan_finds_planted_reupload_with_its_message(cli, database_url: str, known_jpeg: Path,
                                                      export: Path) -> None:
    assert cli("bank", "create", "known").code == 0
    assert cli("bank", "add", "known", known_jpeg, "--content-id", "k1").code == 0
    result = cli("scan", export, "--case", "room", "--json")
    assert result.code == 1, result.err  # the escaping path is listed as not read
    (report,) = result.json_lines()
    assert (report["source"], report["items"], report["missing_media"]) == ("telegram", 11, 1)
    assert report["hashed"] == 9  # the 9 media files on disk; the missing photo is kept, not hashed
    matched = {m["path"]: m["matches"][0] for m in report["matches"]}
    assert set(matched) == {f"{CHANNEL}/{n}" for n in (23, 24, 25)}  # one album, three messages
    assert all(m["content_id"] == "k1" and m["distance"] <= 31 for m in matched.values())
    failed = {f["path"]: f["code"] for f in report["failed"]}
    assert failed == {f"{CHANNEL}/31": "path_escapes_root"}  # audio, SVG and text are hashed as bytes only

    with open_store() as store, store.session() as session:
        rows = {i.locator: i for i in session.scalars(select(Item).where(Item.locator.like("telegram:%")))}
    first = rows[f"{CHANNEL}/23"].context
    assert (first["caption"], first["chat_name"], first["poster_id"]) == ("multiple photos", "test",
                                                                          "channel1292077344")
    assert first["link"] == "https://t.me/c/1292077344/23" and first["posted_at_local"] == "2021-07-14T18:52:46"
    assert first["media_path"] == "photos/photo_3@14-07-2021_18-52-46.jpg"
    gone = rows[f"{CHANNEL}/30"]
    assert gone.status == "missing_media" and gone.sha256 is None and gone.context["caption"] == "gone"
    for n in (7, 8, 22, 26):  # voice, audio, SVG, Markdown: evidence by their bytes, not failures
        item = rows[f"{CHANNEL}/{n}"]
        assert (item.status, item.error, len(item.sha256 or "")) == ("bytes_only", None, 64)

    shown = {i["path"]: i for i in cli("case", "show", "room", "--json").json_lines()}
    context = shown[f"{CHANNEL}/23"]["context"]  # who posted it, where and when, for the investigator
    assert (context["chat_name"], context["poster"], context["caption"]) == ("test", "test", "multiple photos")
    assert context["link"] == "https://t.me/c/1292077344/23" and context["posted_at_local"] == "2021-07-14T18:52:46"
    assert shown[f"{CHANNEL}/30"]["context"]["missing_media"] is True

    items = {i["locator"]: i for i in cli("case", "items", "room", "--json").json_lines()}
    assert len(items) == 11
    item = items[f"{CHANNEL}/23"]
    assert {k: item[k] for k in ("posted_at", "poster", "poster_id", "chat", "caption", "forwarded_from",
                                 "media_type", "missing_media")} == {
        "posted_at": first["posted_at"], "poster": "test", "poster_id": "channel1292077344", "chat": "test",
        "caption": "multiple photos", "forwarded_from": None, "media_type": "photo", "missing_media": False}
    # this export has no date_unixtime, so the UTC instant is unknown and only the wall time is given
    assert (item["posted_at"], item["posted_at_local"]) == (None, "2021-07-14T18:52:46")
    assert len(item["sha256"]) == 64 and len(item["pdq"]) == 64
    assert [(m["content_id"], m["signal_type"]) for m in item["matches"]] == [("k1", "pdq")]
    assert items[f"{CHANNEL}/30"]["missing_media"] is True and items[f"{CHANNEL}/30"]["sha256"] is None
    assert "known / k1" in cli("case", "items", "room").out

    again = cli("scan", export, "--case", "room", "--json").json_lines()[0]
    assert (again["hashed"], again["reused"]) == (0, 9)
    assert again["matches"] == report["matches"]


def test_scan_refuses_broken_export_with_one_line(cli, database_url: str, tmp_path: Path) -> None:
    (tmp_path / "result.json").write_text('{"name": "x", "type": "personal_chat", "id": 1, "messages": [{"id": ')
    result = cli("scan", tmp_path, "--case", "c")
    assert result.code == 1
    assert "result.json: broken JSON at or before byte" in result.err and len(result.err.strip().splitlines()) == 1
