"""A face match is a match: an item matched only by an enrolled face is counted and listed by ``case show``,
``case items --json``, ``case list``, the evidence manifest and report, and ``takedown draft --items matched``,
with its distance and the thresholds it was held to (never a "confidence")."""

from __future__ import annotations

import json
import shutil
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from reclaim.cli.main import main
from reclaim.identities.photos import open_photos
from reclaim.vault import KdfParams
from reclaim_testdata import IDENTITY_PASSPHRASE

CONSENT = "enrolled by officer kim at the victim's request, 2026-12-05"
WHO = ("--name", "Kim Minji", "--email", "officer@support.example.org")
FACE_KEYS = {"signal_type", "identity", "distance", "threshold", "flag_threshold", "flagged", "score", "box",
             "suppressed"}


@pytest.fixture(scope="module")
def case_home(tmp_path_factory: pytest.TempPathFactory, face_photos: dict[str, Path]) -> Iterator[Path]:
    """One case scanned once for the module: a composite of the enrolled astronaut (matched by her face only),
    a composite of someone not enrolled, and a re-post of a banked image (matched by its hash)."""
    home = tmp_path_factory.mktemp("face-matches")
    (home / "data").mkdir(mode=0o700)
    found = home / "found"
    found.mkdir()
    for key in ("fake_astronaut", "fake_grace_hopper"):
        shutil.copy(face_photos[key], found / face_photos[key].name)
    shutil.copy(face_photos["scene"], found / "repost.png")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("RECLAIM_HOME", str(home / "data"))
        env.setenv("RECLAIM_IDENTITY_PASSPHRASE", IDENTITY_PASSPHRASE)
        env.delenv("RECLAIM_DATABASE_URL", raising=False)
        open_photos(IDENTITY_PASSPHRASE, params=KdfParams(time_cost=1, memory_kib=1024, parallelism=1))  # cheap KDF
        for args in (["identity", "enroll", "student-a", str(face_photos["astronaut"]), "--consent", CONSENT],
                     ["bank", "create", "known"], ["bank", "add", "known", str(face_photos["scene"])],
                     ["scan", str(found), "--case", "faces", "--mode", "fast", "--workers", "1"]):
            assert main(args) == 0, args
        yield found


@pytest.fixture
def cli_in_case(case_home: Path, cli, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("RECLAIM_HOME", str(case_home.parent / "data"))
    return cli


def _face(matches: list[dict]) -> dict:
    (face,) = [m for m in matches if m["signal_type"] == "face"]
    return face


def test_case_show_counts_and_lists_the_face_only_item(cli_in_case, case_home: Path) -> None:
    shown = cli_in_case("case", "show", "faces")
    assert shown.code == 0, shown.err
    assert "3 items, 2 matched" in shown.out
    fake = next(line for line in shown.out.splitlines() if "fake_astronaut.jpg" in line)
    assert fake.startswith("MATCH")
    detail = shown.out.splitlines()[shown.out.splitlines().index(fake) + 1]
    assert "enrolled face of student-a: face distance" in detail and "same person at <= 0.6" in detail
    assert "auto-flag at <= 0.5" in detail
    assert "confidence" not in shown.out and "fake_grace_hopper" not in shown.out
    (listed,) = cli_in_case("case", "list", "--json").json_lines()
    assert listed["matched"] == 2


@pytest.mark.parametrize("command", [("case", "items", "faces", "--json"), ("case", "show", "faces", "--json")])
def test_case_json_lists_face_matches_as_matches(cli_in_case, command: tuple[str, ...]) -> None:
    rows = cli_in_case(*command).json_lines()
    by_name = {Path(r.get("locator") or r["path"]).name: r for r in rows}
    face = _face(by_name["fake_astronaut.jpg"]["matches"])
    assert set(face) >= FACE_KEYS and "confidence" not in face and "frame_time" not in face  # a photo
    assert face["identity"] == "student-a" and 0 <= face["distance"] <= face["threshold"] == 0.6
    assert face["flag_threshold"] == 0.5 and face["flagged"] == (face["distance"] <= 0.5)
    assert len(face["box"]) == 4 and all(isinstance(v, int) for v in face["box"])
    assert by_name["fake_grace_hopper.jpg"]["matches"] == []
    (bank,) = by_name["repost.png"]["matches"]
    assert bank["bank"] == "known" and bank["signal_type"] in ("sha256", "md5", "pdq")


def test_evidence_manifest_and_report_list_face_matches(cli_in_case, tmp_path: Path) -> None:
    bundle = tmp_path / "faces.zip"
    exported = cli_in_case("evidence", "export", "faces", "--out", bundle)
    assert exported.code == 0, exported.err
    with zipfile.ZipFile(bundle) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        html = zf.read("report.html").decode()
        assert "report.pdf" in zf.namelist()  # drawn from the same match lines
    items = {Path(r["locator"]).name: r for r in manifest["items"]}
    face = _face(items["fake_astronaut.jpg"]["matches"])
    assert face["identity"] == "student-a" and face["threshold"] == 0.6 and face["signal_version"]
    assert manifest["summary"]["flagged"] == 2
    assert "Face: student-a — distance" in html and "same person &lt;= 0.6" in html
    assert "Distances and scores" in html and "not a probability" in html
    assert "confidence" not in html.replace("calibrated confidence", "")
    assert cli_in_case("evidence", "verify", bundle).code == 0


def test_takedown_draft_matched_includes_face_only_items(cli_in_case, case_home: Path) -> None:
    shas = {Path(r["path"]).name: r["sha256"] for r in cli_in_case("case", "show", "faces", "--json").json_lines()}
    places = [f"--location={case_home / name}=https://host.example/{n}" for n, name in enumerate(sorted(shas))]
    drafted = cli_in_case("takedown", "draft", "faces", "--platform", "generic", "--lang", "en", *WHO,
                          "--items", "matched", *places)
    assert drafted.code == 0, drafted.err
    assert shas["fake_astronaut.jpg"] in drafted.out and shas["repost.png"] in drafted.out
    assert shas["fake_grace_hopper.jpg"] not in drafted.out
