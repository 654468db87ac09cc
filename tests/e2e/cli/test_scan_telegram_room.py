"""The generated Telegram room that bench/case.py scans (synthetic/telegram_room.py), at a tiny size: ``reclaim
scan`` reads every photo and video it wrote, as the kinds the truth says, and the banked re-post matches."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reclaim.sources import TelegramExportSource
from reclaim.synthetic.telegram_room import RoomSpec, write_room

pytest.importorskip("av")

SPEC = RoomSpec(photos=6, face_photos=1, reposts=1, videos=2, face_videos=1, texts=5, photo_size=(320, 240),
                video_size=(96, 72), video_seconds=(2, 3))  # small and short: this checks the layout, not faces


@pytest.fixture(scope="module")
def room(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("room")
    return out, write_room(out, SPEC, workers=1)


def test_scaled_counts_follow_issue_23() -> None:
    full, small = RoomSpec.scaled(10_000), RoomSpec.scaled(20)
    assert (full.photos, full.face_photos, full.reposts, full.videos, full.face_videos, full.texts) == (
        9000, 30, 40, 200, 5, 800)
    assert small.items == 20 and min(small.face_photos, small.reposts, small.videos, small.face_videos) == 1


def test_scan_reads_every_photo_and_video_of_the_room(cli, room: tuple[Path, dict]) -> None:
    out, truth = room
    export = out / "export"
    assert cli("bank", "create", "known").code == 0
    assert cli("bank", "add", "known", out / "bank").code == 0
    result = cli("scan", export, "--case", "room", "--json", "--workers", "1")
    assert result.code == 0, result.err
    (report,) = result.json_lines()
    assert (report["source"], report["items"], report["hashed"], report["failed"]) == (
        "telegram", SPEC.photos + SPEC.videos, SPEC.photos + SPEC.videos, [])
    matched = {m["path"]: m["matches"][0]["content_id"] for m in report["matches"]}
    assert matched == {loc: r["original"] for loc, r in truth["reposts"].items()}  # the q50 re-post, by PDQ

    rows = cli("case", "items", "room", "--json").json_lines()
    kinds = sorted(row["media_type"] for row in rows)
    assert kinds == ["photo"] * SPEC.photos + ["video_file"] * SPEC.videos
    locators = {row["locator"] for row in rows}
    assert set(truth["faces"]) | set(truth["face_videos"]) <= locators
    messages = list(TelegramExportSource(str(export)).iter_messages())
    texts = [m for m in messages if m.message_type == "message" and m.media_type is None]
    assert len(texts) == SPEC.texts and len(messages) == SPEC.items + 1  # + the create_group service message
    declared = {m.media_ref: m.declared_size for m in messages if m.media_ref}
    assert declared == {ref: (export / ref).stat().st_size for ref in declared}
    assert json.loads((out / "truth.json").read_text()) == truth
