"""``reclaim case new|review``: decisions are recorded, and confirmed items catch their re-uploads."""

import json
from pathlib import Path
from typing import Any

from PIL import Image

from reclaim.evidence.casefiles import CaseFiles
from reclaim.synthetic.scenes import GLOBAL_EDITS, jpeg_bytes, scene


def test_confirmed_item_catches_later_reuploads_and_reversal_withdraws(
    cli, database_url: str, known_jpeg: Path, tmp_path: Path
) -> None:
    """No bank at first: an officer confirms a found file, and the next scan finds its re-upload."""
    first = tmp_path / "first"
    first.mkdir()
    (first / "found.jpg").write_bytes(known_jpeg.read_bytes())
    assert cli("case", "new", "c7", "--note", "school case 7").code == 0
    assert cli("case", "new", "c7").code == 2  # already exists
    assert cli("scan", first, "--case", "c7").code == 0

    sha = cli("case", "show", "c7", "--json").json_lines()[0]["sha256"]
    result = cli("case", "review", "c7", sha[:10], "--decision", "confirmed", "--reviewer", "officer-kim",
                 "--note", "victim recognised it")
    assert result.code == 0 and "c7-confirmed" in result.out

    later = tmp_path / "later"
    later.mkdir()
    with Image.open(known_jpeg) as im:
        (later / "repost.jpg").write_bytes(jpeg_bytes(GLOBAL_EDITS["resize_0.5"](im.convert("RGB")), 70))
    (report,) = cli("scan", later, "--case", "c7", "--json").json_lines()
    assert [m["matches"][0]["bank"] for m in report["matches"]] == ["c7-confirmed"]

    items = {Path(i["path"]).name: i for i in cli("case", "show", "c7", "--json").json_lines()}
    assert (items["found.jpg"]["decision"], items["found.jpg"]["reviewer"]) == ("confirmed", "officer-kim")
    assert items["repost.jpg"]["decision"] is None

    assert cli("case", "review", "c7", str(first / "found.jpg"), "--decision", "not_a_match").code == 0
    (again,) = cli("scan", later, "--case", "c7", "--json").json_lines()
    assert again["matches"] == []


def test_review_errors(cli, database_url: str, known_jpeg: Path, tmp_path: Path) -> None:
    assert cli("case", "review", "nope", "x", "--decision", "confirmed").code == 2
    assert cli("case", "new", "c").code == 0
    missing = cli("case", "review", "c", "deadbeef00", "--decision", "confirmed")
    assert missing.code == 2 and "no item with locator or sha256 'deadbeef00'" in missing.err
    assert cli("case", "review", "c", "x", "--decision", "maybe").code == 2


def test_several_items_take_one_decision_all_or_nothing(cli, database_url: str, reclaim_home: Path,
                                                          tmp_path: Path) -> None:
    """An officer confirming a page of findings names them all in one command; a typo in one of them records
    none (in the database and in the custody log), so a retry does not leave half a decision behind."""
    folder = tmp_path / "room"
    folder.mkdir()
    for seed in (1, 2, 3):
        (folder / f"photo{seed}.jpg").write_bytes(jpeg_bytes(scene(seed, (160, 120))))
    assert cli("scan", folder, "--case", "c8").code == 0
    log = CaseFiles.for_case("c8", reclaim_home).log_path  # the scan recorded its acquisitions there

    def decided() -> list[dict[str, Any]]:
        return [json.loads(line) for line in log.read_text().splitlines() if '"review.decided"' in line]

    def decisions() -> dict[str, object]:
        return {Path(i["path"]).name: i["decision"] for i in cli("case", "show", "c8", "--json").json_lines()}

    wrong = cli("case", "review", "c8", str(folder / "photo1.jpg"), "deadbeef00", "--decision", "confirmed")
    assert wrong.code == 2 and "deadbeef00" in wrong.err
    assert decisions() == {"photo1.jpg": None, "photo2.jpg": None, "photo3.jpg": None} and decided() == []

    done = cli("case", "review", "c8", str(folder / "photo1.jpg"), str(folder / "photo3.jpg"),
               "--decision", "confirmed", "--reviewer", "officer-kim")
    assert done.code == 0 and "2 items" in done.out
    assert decisions() == {"photo1.jpg": "confirmed", "photo2.jpg": None, "photo3.jpg": "confirmed"}
    assert sorted(str(e["details"]["locator"]).rsplit("/", 1)[-1] for e in decided()) == ["photo1.jpg", "photo3.jpg"]
