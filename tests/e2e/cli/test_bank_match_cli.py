"""``reclaim bank`` and ``reclaim match`` from the outside, on SQLite and PostgreSQL."""

from pathlib import Path

import pytest
from PIL import Image

from reclaim.synthetic.scenes import GLOBAL_EDITS, jpeg_bytes


@pytest.fixture
def banked(cli, database_url: str, known_jpeg: Path) -> Path:
    assert cli("bank", "create", "known", "--kind", "known").code == 0
    result = cli("bank", "add", "known", known_jpeg, "--content-id", "case-17-photo")
    assert result.code == 0, result.err
    return known_jpeg


def reupload(src: Path, dest: Path, edit: str) -> Path:
    with Image.open(src) as im:
        dest.write_bytes(jpeg_bytes(GLOBAL_EDITS[edit](im.convert("RGB")), 80))
    return dest


def test_match_finds_reuploads_and_not_decoys(cli, banked: Path, decoy_png: Path, tmp_path: Path) -> None:
    small = reupload(banked, tmp_path / "small.jpg", "resize_0.5")
    grey = reupload(banked, tmp_path / "grey.jpg", "greyscale")
    result = cli("match", small, grey, decoy_png, "--json")
    assert result.code == 0, result.err
    lines = result.json_lines()
    assert [line["path"] for line in lines] == [str(small), str(grey), str(decoy_png)]
    for line in lines[:2]:
        best = line["matches"][0]
        assert (best["bank"], best["content_id"], best["signal_type"]) == ("known", "case-17-photo", "pdq")
        assert 0 <= best["distance"] <= 31
    assert lines[2]["matches"] == []


def test_exact_copy_matches_by_sha256_first(cli, banked: Path) -> None:
    (line,) = cli("match", banked, "--json").json_lines()
    assert [(m["signal_type"], m["distance"]) for m in line["matches"][:1]] == [("sha256", 0)]
    assert {m["signal_type"] for m in line["matches"]} == {"sha256", "md5", "pdq"} or len(line["matches"]) == 1


def test_withdrawal_stops_matching_at_once(cli, banked: Path) -> None:
    assert cli("bank", "withdraw", "known", "case-17-photo").code == 0
    (line,) = cli("match", banked, "--json").json_lines() or [None]
    assert line is None or line["matches"] == []
    listed = cli("bank", "list")
    assert "known" in listed.out and " 0 " in listed.out and " 1 " in listed.out


def test_match_with_no_banks_is_a_clear_error(cli, known_jpeg: Path) -> None:
    result = cli("match", known_jpeg)
    assert result.code == 2
    assert result.err.startswith("error: no active hashes") and "Traceback" not in result.err


def test_bank_errors_are_one_line_with_exit_2(cli, database_url: str, known_jpeg: Path) -> None:
    missing = cli("bank", "add", "nope", known_jpeg)
    assert missing.code == 2 and missing.err.strip().count("\n") == 0
    assert "no bank named 'nope'" in missing.err
    assert cli("bank", "create", "x", "--threshold", "500").code == 2
    assert cli("bank", "create", "x", "--kind", "weird").code == 2  # usage error from the parser


def test_export_import_round_trip_through_files(cli, banked: Path, tmp_path: Path) -> None:
    exported = cli("bank", "export", "known", "--format", "hma-csv")
    assert exported.code == 0
    header, *rows = exported.out.splitlines()
    assert header.split(",")[:2] == ["signal_type", "signal_value"]
    assert sorted(r.split(",")[0] for r in rows) == ["md5", "pdq", "sha256"]
    csv_path = tmp_path / "known.csv"
    csv_path.write_text(exported.out)
    assert cli("bank", "create", "copy").code == 0
    assert cli("bank", "import", "copy", csv_path).code == 0
    (line,) = cli("match", banked, "--bank", "copy", "--json").json_lines()
    assert line["matches"][0]["bank"] == "copy"
    assert cli("bank", "export", "known", "--format", "stopncii").code == 2  # the name is stopncii-json


def test_adding_a_broken_file_reports_it_and_keeps_the_rest(cli, database_url: str, known_jpeg: Path,
                                                            tmp_path: Path) -> None:
    broken = tmp_path / "broken.jpg"
    data = known_jpeg.read_bytes()
    broken.write_bytes(data[: len(data) // 2])
    assert cli("bank", "create", "k").code == 0
    result = cli("bank", "add", "k", known_jpeg, broken)
    assert result.code == 1
    assert "broken.jpg: truncated or corrupt JPEG" in result.err
    assert "added known.jpg" in result.out
