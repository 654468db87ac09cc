"""``reclaim scan --mode thorough``: a folder's cropped and bannered copies of a banked image, which PDQ
misses, are found by the keypoint stage (also when a fast scan of the case came first), and the keypoint
index is kept on disk between commands until a bank changes."""

from __future__ import annotations

from pathlib import Path

import pytest

from reclaim.synthetic.reposts import banner, crop_area
from reclaim.synthetic.scenes import composite, jpeg_bytes, scene

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

    assert scan(cli, folder, "c") == {}
    found = scan(cli, folder, "c", "--mode", "thorough")  # the same case: hashed again for keypoints
    assert sorted(found) == ["banner", "crop"]
    for matches in found.values():
        assert [(m["content_id"], m["signal_type"]) for m in matches] == [("known.jpg", "keypoints")]
        assert matches[0]["inliers"] >= 15


def test_the_keypoint_index_is_kept_on_disk_until_a_bank_changes(cli, tmp_path: Path, reclaim_home: Path,
                                                                  faces: dict) -> None:
    known = [composite(faces["astronaut"], seed=1), composite(faces["grace_hopper"], seed=2)]
    for i, image in enumerate(known):
        (tmp_path / f"known{i}.jpg").write_bytes(jpeg_bytes(image, 92))
        (tmp_path / f"crop{i}.jpg").write_bytes(jpeg_bytes(crop_area(image, 3, removed=(0.25, 0.3)), 85))
    assert cli("bank", "create", "b").code == 0
    assert cli("bank", "add", "b", tmp_path / "known0.jpg").code == 0

    def matched() -> list[str]:
        (line,) = cli("match", tmp_path / "crop1.jpg", "--mode", "thorough", "--json").json_lines()
        return [m["content_id"] for m in line["matches"]]

    assert matched() == []
    (cache,) = reclaim_home.rglob("keypoints-*.npz")
    written = cache.stat()
    assert matched() == [] and cache.stat().st_mtime_ns == written.st_mtime_ns  # reused, not rewritten

    assert cli("bank", "add", "b", tmp_path / "known1.jpg").code == 0
    assert matched() == ["known1.jpg"]
    assert cache.stat().st_ino != written.st_ino  # rebuilt for the changed bank
