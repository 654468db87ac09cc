"""A scan that finds a new copy of a case's reported, confirmed material records it as a re-upload."""

from pathlib import Path

from PIL import Image

from reclaim.synthetic.scenes import GLOBAL_EDITS, jpeg_bytes

WHO = ("--name", "Kim Minji", "--email", "officer@support.example.org")


def test_scan_reports_reuploads_of_reported_material(cli, database_url: str, known_jpeg: Path,
                                                     tmp_path: Path) -> None:
    first = tmp_path / "first"
    first.mkdir()
    (first / "copy.jpg").write_bytes(known_jpeg.read_bytes())
    assert cli("scan", first, "--case", "c1").code == 0
    assert cli("case", "review", "c1", str(first / "copy.jpg"), "--decision", "confirmed").code == 0
    url = "http://127.0.0.1:9/post/1"
    assert cli("takedown", "draft", "c1", "--platform", "generic", "--lang", "en", *WHO,
               "--location", f"{first / 'copy.jpg'}={url}").code == 0
    assert cli("takedown", "mark", "1", "sent", "--officer", "kim").code == 0

    later = tmp_path / "later"
    later.mkdir()
    with Image.open(known_jpeg) as im:
        (later / "again.jpg").write_bytes(jpeg_bytes(GLOBAL_EDITS["greyscale"](im.convert("RGB")), 80))
    (report,) = cli("scan", later, "--case", "c2", "--json").json_lines()
    (reupload,) = report["reuploads"]
    assert reupload["case"] == "c1" and reupload["found"] == [str(later / "again.jpg")]
    human = cli("scan", later, "--case", "c3")
    assert "RE-UPLOAD" in human.out and "c1" in human.out
