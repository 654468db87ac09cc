"""``reclaim scan --mode thorough``: a folder's cropped and bannered copies of a banked image, which PDQ
misses, are found by the keypoint stage and stored as matches of the case."""

from __future__ import annotations

from pathlib import Path

import pytest

from reclaim.synthetic import composite, jpeg_bytes, scene
from reclaim.synthetic_reposts import banner, crop_area

pytest.importorskip("cv2")
pytest.importorskip("faiss")


def scan(cli, folder: Path, case: str, *mode: str) -> dict[str, list[dict]]:
    result = cli("scan", folder, "--case", case, "--json", "--workers", "1", *mode)
    assert result.code == 0, result.err
    (report,) = result.json_lines()
    return {Path(row["path"]).stem: row["matches"] for row in report["matches"]}


def test_thorough_scan_finds_crops_and_banners_that_pdq_misses(cli, tmp_path: Path, faces: dict) -> None:
    known = composite(faces["astronaut"], seed=1)
    (tmp_path / "known.jpg").write_bytes(jpeg_bytes(known, 92))
    assert cli("bank", "create", "b", "--kind", "known").code == 0
    assert cli("bank", "add", "b", tmp_path / "known.jpg").code == 0
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "crop.jpg").write_bytes(jpeg_bytes(crop_area(known, 3, removed=(0.25, 0.3)), 85))
    (folder / "banner.jpg").write_bytes(jpeg_bytes(banner(known, 10), 85))
    (folder / "other.jpg").write_bytes(jpeg_bytes(scene(77), 85))

    assert scan(cli, folder, "fast") == {}
    found = scan(cli, folder, "thorough", "--mode", "thorough")
    assert sorted(found) == ["banner", "crop"]
    for matches in found.values():
        assert [(m["content_id"], m["signal_type"]) for m in matches] == [("known.jpg", "keypoints")]
        assert matches[0]["inliers"] >= 15
