"""A case's victims: only identities enrolled with consent can be linked; they appear in the evidence."""

import json
import zipfile
from pathlib import Path

CONSENT = "enrolled by officer kim at the victim's request, 2026-11-28"


def test_victims_link_only_enrolled_identities_and_reach_the_bundle(
    cli, database_url: str, face_photos: dict[str, Path], tmp_path: Path
) -> None:
    assert cli("identity", "enroll", "student-a", face_photos["astronaut"], "--consent", CONSENT).code == 0
    assert cli("case", "new", "c9", "--victim", "student-a").code == 0
    refused = cli("case", "add-victim", "c9", "nobody")
    assert refused.code == 2 and "no identity 'nobody' is enrolled with consent" in refused.err
    assert cli("case", "add-victim", "c9", "student-a").code == 2  # already linked
    assert "victims: student-a" in cli("case", "show", "c9").out

    bundle = tmp_path / "c9.zip"
    assert cli("evidence", "export", "c9", "--out", bundle).code == 0
    with zipfile.ZipFile(bundle) as zf:
        victims = json.loads(zf.read("manifest.json"))["case"]["victims"]
        html = zf.read("report.html").decode()
    assert [v["name"] for v in victims] == ["student-a"]
    assert "피해자 / Victims" in html and "student-a" in html


def test_bundle_attributes_a_fake_to_the_victims_own_photo(
    cli, database_url: str, face_photos: dict[str, Path], tmp_path: Path
) -> None:
    assert cli("identity", "enroll", "student-a", face_photos["astronaut"], "--consent", CONSENT).code == 0
    assert cli("case", "new", "c10", "--victim", "student-a").code == 0
    found = tmp_path / "found"
    found.mkdir()
    fake = found / "fake.jpg"
    fake.write_bytes(face_photos["fake_astronaut"].read_bytes())
    assert cli("scan", found, "--case", "c10").code == 0
    assert cli("case", "review", "c10", str(fake), "--decision", "confirmed").code == 0
    bundle = tmp_path / "c10.zip"
    assert cli("evidence", "export", "c10", "--out", bundle).code == 0
    with zipfile.ZipFile(bundle) as zf:
        (item,) = json.loads(zf.read("manifest.json"))["items"]
        attribution = item["attribution"]
        assert attribution["identity"] == "student-a" and attribution["inliers"] >= 15
        assert zf.read(attribution["figure"]).startswith(b"\x89PNG")
    assert cli("evidence", "verify", bundle).code == 0
