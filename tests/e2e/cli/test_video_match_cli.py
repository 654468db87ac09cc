"""Videos through the CLI: bank a clip, find its re-encode with ``match``, and find a known photo inside a clip
with ``scan`` (reported with the second it shows)."""

from __future__ import annotations

from pathlib import Path

import pytest

from reclaim.synthetic.scenes import composite, jpeg_bytes, scene

pytest.importorskip("av")
from reclaim.synthetic.video import write_clip  # noqa: E402


@pytest.fixture
def videos(tmp_path: Path, faces: dict) -> dict[str, Path]:
    known = composite(faces["astronaut"], seed=1, size=(256, 192))
    pictures = [known if 6 <= s < 11 else scene(700 + s, (256, 192)) for s in range(20)]
    found = tmp_path / "found"
    found.mkdir()
    (tmp_path / "known.jpg").write_bytes(jpeg_bytes(known, 90))
    return {
        "photo": tmp_path / "known.jpg",
        "original": write_clip(tmp_path / "original.mp4", pictures, size=(256, 192)),
        "reupload": write_clip(found / "reupload.mp4", pictures, size=(176, 132), codec="mpeg4", bit_rate=200_000),
        "unrelated": write_clip(found / "unrelated.mp4", [scene(s, (256, 192)) for s in range(20)], size=(256, 192)),
    }


def test_banked_video_finds_its_reencode(cli, videos: dict[str, Path]) -> None:
    assert cli("bank", "create", "clips").code == 0
    added = cli("bank", "add", "clips", videos["original"], "--content-id", "v1")
    assert added.code == 0 and "(20 vpdq frames)" in added.out
    reupload, unrelated = cli("match", "--json", videos["reupload"], videos["unrelated"]).json_lines()
    (match,) = reupload["matches"]
    assert (match["content_id"], match["signal_type"]) == ("v1", "vpdq") and match["match_percent"] >= 80
    assert "frame_time" not in match and unrelated["matches"] == []
    assert "% of frames" in cli("match", videos["reupload"]).out


def test_scan_reports_the_second_a_known_photo_shows(cli, videos: dict[str, Path]) -> None:
    assert cli("bank", "create", "photos").code == 0
    assert cli("bank", "add", "photos", videos["photo"], "--content-id", "p1").code == 0
    result = cli("scan", videos["reupload"].parent, "--case", "c", "--json")
    assert result.code == 0, result.err
    (found,) = result.json_lines()[0]["matches"]
    assert found["path"].endswith("reupload.mp4")
    (match,) = found["matches"]
    assert (match["content_id"], match["signal_type"]) == ("p1", "pdq") and 6 <= match["frame_time"] < 11
    assert " s)" in cli("scan", videos["reupload"].parent, "--case", "c").out  # "pdq distance … at 6 s"
    still = cli("match", "--json", videos["photo"]).json_lines()[0]["matches"][0]
    assert still["content_id"] == "p1" and "frame_time" not in still
    stored = {i["locator"]: i for i in cli("case", "items", "c", "--json").json_lines()}
    (kept,) = stored[found["path"]]["matches"]  # the second is stored with the match, not only printed
    assert kept["frame_time"] == match["frame_time"]
