"""``reclaim scan seized.zip``: routed to the archive source, finds a known image inside, reports the hostile
member in one line and goes on, and a rescan of the unchanged archive hashes nothing."""

from __future__ import annotations

import json
import tarfile
import zipfile
from pathlib import Path


def test_scanning_a_zip_finds_the_known_image_and_reports_the_escape(  # type: ignore[no-untyped-def]
    cli, tmp_path: Path, known_jpeg: Path, make_images
) -> None:
    decoys = make_images(tmp_path / "decoys", 5)
    seized = tmp_path / "seized.zip"
    with zipfile.ZipFile(seized, "w") as archive:
        archive.write(known_jpeg, "phone/DCIM/IMG_0042.jpg")
        archive.writestr("../../outside.jpg", known_jpeg.read_bytes())
        for path in decoys:
            archive.write(path, f"phone/DCIM/{path.name}")
    assert cli("bank", "create", "known").code == 0
    assert cli("bank", "add", "known", known_jpeg).code == 0

    result = cli("scan", seized, "--case", "c", "--json")
    assert result.code == 1  # one member not read
    report = json.loads(result.out)
    assert (report["source"], report["items"], report["hashed"]) == ("archive", 7, 6)
    assert [m["path"] for m in report["matches"]] == [f"archive:{seized}!phone/DCIM/IMG_0042.jpg"]
    assert [f["error"] for f in report["failed"]] == [
        f"{seized}: member '../../outside.jpg' leaves the archive (path traversal); not read"]
    assert not (tmp_path.parent / "outside.jpg").exists()

    again = json.loads(cli("scan", seized, "--case", "c", "--json").out)
    assert (again["hashed"], again["reused"]) == (0, 6)


def test_scanning_a_tar_gz_finds_the_known_image_and_refuses_absolute_paths_and_links(  # type: ignore[no-untyped-def]
    cli, tmp_path: Path, known_jpeg: Path
) -> None:
    seized = tmp_path / "seized.tar.gz"
    with tarfile.open(seized, "w:gz") as archive:
        archive.add(known_jpeg, "export/IMG_0042.jpg")
        absolute = archive.gettarinfo(known_jpeg, "evil.jpg")
        absolute.name = "/etc/evil.jpg"  # gettarinfo strips a leading slash; a hostile tool does not
        with known_jpeg.open("rb") as data:
            archive.addfile(absolute, data)
        link = tarfile.TarInfo("export/shadow.jpg")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/shadow"
        archive.addfile(link)
    assert cli("bank", "create", "known").code == 0
    assert cli("bank", "add", "known", known_jpeg).code == 0

    result = cli("scan", seized, "--case", "c", "--json")
    assert result.code == 1
    report = json.loads(result.out)
    assert (report["source"], report["hashed"]) == ("archive", 1)
    assert [m["path"] for m in report["matches"]] == [f"archive:{seized}!export/IMG_0042.jpg"]
    assert sorted(f["error"] for f in report["failed"]) == sorted([
        f"{seized}: member '/etc/evil.jpg' leaves the archive (path traversal); not read",
        f"{seized}: member 'export/shadow.jpg' is a link, not a file; not read"])
