"""``reclaim scan seized.zip``: routed to the archive source, finds a known image inside, reports the hostile
member in one line and goes on, and a rescan of the unchanged archive hashes nothing."""

from __future__ import annotations

import json
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
