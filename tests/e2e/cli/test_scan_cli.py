"""``reclaim scan`` and ``reclaim case`` from the outside: matches, broken files, reruns, withdrawals."""

import os
from pathlib import Path

import pytest
from PIL import Image

from reclaim.synthetic.scenes import GLOBAL_EDITS, jpeg_bytes, scene


@pytest.fixture
def folder(tmp_path: Path, known_jpeg: Path) -> Path:
    """A seized-folder stand-in: two re-uploads in subfolders, decoys, and every kind of bad file."""
    root = tmp_path / "seized"
    (root / "chat" / "deep").mkdir(parents=True)
    with Image.open(known_jpeg) as im:
        known = im.convert("RGB")
    (root / "chat" / "reupload_small.jpg").write_bytes(jpeg_bytes(GLOBAL_EDITS["resize_0.5"](known), 70))
    (root / "chat" / "deep" / "reupload_grey.jpg").write_bytes(jpeg_bytes(GLOBAL_EDITS["greyscale"](known), 80))
    for k in range(3):
        scene(seed=50 + k).save(root / f"decoy_{k}.png")
    data = known_jpeg.read_bytes()
    (root / "truncated.jpg").write_bytes(data[: len(data) // 2])
    (root / "empty.jpg").write_bytes(b"")
    (root / "notes.jpg").write_text("just text\n")
    outside = tmp_path / "outside.jpg"
    outside.write_bytes(data)
    (root / "escape.jpg").symlink_to(outside)
    return root


@pytest.fixture
def banked(cli, database_url: str, known_jpeg: Path) -> None:
    assert cli("bank", "create", "known").code == 0
    assert cli("bank", "add", "known", known_jpeg, "--content-id", "k1").code == 0


def scan_json(cli, folder: Path, case: str = "c1") -> dict:
    result = cli("scan", folder, "--case", case, "--json")
    assert result.code == 1, result.err  # 1: some items could not be read (they are listed)
    (report,) = result.json_lines()
    return report


def test_scan_finds_reuploads_lists_bad_files_and_never_reads_outside(cli, banked, folder: Path) -> None:
    report = scan_json(cli, folder)
    assert report["items"] == 9 and report["hashed"] == 8
    matched = {Path(m["path"]).name: m["matches"][0] for m in report["matches"]}
    assert set(matched) == {"reupload_small.jpg", "reupload_grey.jpg"}
    assert all(m["content_id"] == "k1" and m["distance"] <= 31 for m in matched.values())
    failed = {Path(f["path"]).name: (f["code"], f["error"]) for f in report["failed"]}
    assert failed["escape.jpg"][0] == "path_escapes_root" and "outside" in failed["escape.jpg"][1]
    assert failed["truncated.jpg"][0] == "decode_error"
    assert failed["empty.jpg"] == ("decode_error", f"{folder / 'empty.jpg'}: empty file (0 bytes)")
    assert failed["notes.jpg"][0] == "unsupported_format"


def test_rerun_reuses_stored_hashes_and_sees_bank_changes(cli, banked, folder: Path) -> None:
    first = scan_json(cli, folder)
    (folder / "new_decoy.png").write_bytes((folder / "decoy_0.png").read_bytes())
    os.utime(folder / "chat" / "reupload_small.jpg", ns=(1, 1))  # changed metadata: hash again
    second = scan_json(cli, folder)
    assert (second["hashed"], second["reused"]) == (2, 7)
    assert second["matches"] == first["matches"]
    assert cli("bank", "withdraw", "known", "k1").code == 0
    assert scan_json(cli, folder)["matches"] == []  # no rehash needed to honour a withdrawal


def test_case_list_and_show(cli, banked, folder: Path) -> None:
    scan_json(cli, folder, case="school-7")
    (row,) = cli("case", "list", "--json").json_lines()
    assert row == {"case": "school-7", "items": 9, "failed": 4, "matched": 2}
    items = {Path(i["path"]).name: i for i in cli("case", "show", "school-7", "--json").json_lines()}
    assert items["reupload_grey.jpg"]["matches"][0]["content_id"] == "k1"
    assert len(items["decoy_1.png"]["sha256"]) == 64 and items["decoy_1.png"]["matches"] == []
    human = cli("case", "show", "school-7")
    assert "2 matched" in human.out and "MATCH" in human.out
    missing = cli("case", "show", "nope")
    assert missing.code == 2 and "no case named 'nope'" in missing.err


def test_scanning_a_missing_folder_is_one_clear_line(cli, database_url: str, tmp_path: Path) -> None:
    result = cli("scan", tmp_path / "nowhere", "--case", "x")
    assert result.code == 1
    message = result.err.strip()
    assert message.startswith(f"error: {tmp_path / 'nowhere'}: no such") and "\n" not in message
