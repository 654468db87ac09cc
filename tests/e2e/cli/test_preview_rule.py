"""Bundle previews are the evidence (DESIGN rule 5): made only from bytes whose sha256 is the item's."""

import json
import zipfile
from pathlib import Path

from hostile_corpus import jpeg
from reclaim.synthetic.scenes import scene


def thumbnails(bundle: Path) -> list[str]:
    with zipfile.ZipFile(bundle) as zf:
        return [n for n in zf.namelist() if n.startswith("thumbnails/")]


def flagged_case(cli, known_jpeg: Path, target: Path, case: str) -> None:
    assert cli("bank", "create", "known").code == 0
    assert cli("bank", "add", "known", known_jpeg, "--content-id", "victim-photo").code == 0
    assert cli("scan", target, "--case", case, "--workers", "1").code == 0


def test_a_file_replaced_after_the_scan_gets_no_preview(cli, known_jpeg: Path, tmp_path: Path) -> None:
    folder = tmp_path / "found"
    folder.mkdir()
    (folder / "copy.jpg").write_bytes(known_jpeg.read_bytes())
    flagged_case(cli, known_jpeg, folder, "c1")
    kept = cli("evidence", "export", "c1", "--out", tmp_path / "before.zip")
    assert kept.code == 0 and thumbnails(tmp_path / "before.zip")  # the unchanged file has its preview
    scene(seed=5).save(folder / "copy.jpg", "JPEG")  # someone swaps the file under the same name
    assert cli("evidence", "export", "c1", "--out", tmp_path / "after.zip").code == 0
    assert thumbnails(tmp_path / "after.zip") == []
    with zipfile.ZipFile(tmp_path / "after.zip") as zf:
        assert "original not available" in zf.read("report.html").decode()
    with zipfile.ZipFile(tmp_path / "after.zip") as zf:
        manifest = json.loads(zf.read("manifest.json"))
        assert "thumbnails/" not in zf.read("report.html").decode()
    assert [i["locator"] for i in manifest["items"]] == [str(folder / "copy.jpg")]  # still listed as evidence


def test_a_zipped_export_cannot_show_files_beside_the_archive(cli, known_jpeg: Path, tmp_path: Path) -> None:
    archive = tmp_path / "export.zip"
    doc = {"name": "Room", "type": "private_supergroup", "id": 1500, "messages": [
        {"id": 1, "type": "message", "date_unixtime": "1767225600", "photo": "photos/a.jpg", "text": ""}]}
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("result.json", json.dumps(doc))
        zf.writestr("photos/a.jpg", known_jpeg.read_bytes())
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "a.jpg").write_bytes(jpeg(9))  # a private file next to the archive
    flagged_case(cli, known_jpeg, archive, "c2")
    assert cli("evidence", "export", "c2", "--out", tmp_path / "bundle.zip").code == 0
    with zipfile.ZipFile(tmp_path / "bundle.zip") as zf:
        manifest = json.loads(zf.read("manifest.json"))
    (item,) = manifest["items"]
    assert item["locator"] == "telegram:1500/1" and item["matches"]  # flagged: it would get a preview
    assert thumbnails(tmp_path / "bundle.zip") == []
