"""``reclaim identity`` with ``match`` and ``scan``: faces are answered only for enrolled identities."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from reclaim.identities.matcher import face_cache_dir
from reclaim.store import open_store
from reclaim_testdata import IDENTITY_PASSPHRASE

CONSENT = "self-enrolled at the centre on 2026-11-28 to find fakes"


@pytest.fixture
def folder(tmp_path: Path, face_photos: dict[str, Path]) -> Path:
    found = tmp_path / "found"
    found.mkdir()
    for key in ("fake_astronaut", "fake_grace_hopper", "scene"):
        shutil.copy(face_photos[key], found / face_photos[key].name)
    return found


def test_no_enrolled_identity_no_face_results(cli, database_url: str, folder: Path, known_jpeg: Path) -> None:
    assert cli("match", folder / "fake_astronaut.jpg").code == 2  # no banks, nobody enrolled: nothing to ask
    assert cli("bank", "create", "known").code == 0 and cli("bank", "add", "known", known_jpeg).code == 0
    # hashes only: keypoints would rightly find the bank's pasted face inside fake_astronaut.jpg
    lines = cli("match", "--json", "--workers", "1", "--mode", "fast", folder).json_lines()
    assert [m for line in lines for m in line["matches"]] == []
    report = cli("scan", folder, "--case", "c1", "--json", "--workers", "1").json_lines()[0]
    assert report["matches"] == []
    assert cli("identity", "audit", "--json").json_lines() == [[]]


def test_enrol_match_scan_audit_remove(cli, database_url: str, folder: Path, face_photos: dict[str, Path],
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECLAIM_ACTOR", "officer kim")
    result = cli("identity", "enroll", "astro", face_photos["astronaut"], "--consent", CONSENT,
                 "--on-behalf-of", "the astronaut")
    assert result.code == 0, result.err
    (listed,) = cli("identity", "list", "--json").json_lines()[0]
    assert (listed["identity"], listed["photos"], listed["recorded_by"], listed["on_behalf_of"]) == (
        "astro", 1, "officer kim", "the astronaut")

    lines = {Path(line["path"]).name: line for line in
             cli("match", "--json", "--workers", "1", folder).json_lines()}
    (face,) = lines["fake_astronaut.jpg"]["matches"]
    assert face["signal_type"] == "face" and face["identity"] == "astro" and face["distance"] < 0.5
    assert set(face) >= {"score", "box", "threshold"} and len(face["box"]) == 4 and face["threshold"] == 0.6
    assert "confidence" not in face
    assert lines["fake_grace_hopper.jpg"]["matches"] == [] and lines["scene.png"]["matches"] == []

    report = cli("scan", folder, "--case", "c1", "--json", "--workers", "1").json_lines()[0]
    assert [(Path(m["path"]).name, [x["identity"] for x in m["matches"]]) for m in report["matches"]] == [
        ("fake_astronaut.jpg", ["astro"])]

    (audit,) = cli("identity", "audit", "--json").json_lines()
    assert {e["actor"] for e in audit} == {"officer kim"}
    assert {e["action"] for e in audit} == {"enroll", "match", "scan"}
    assert any(e["action"] == "scan" and e["matched"] == ["astro"] for e in audit)

    with open_store(database_url) as store, store.session() as session:
        graph = face_cache_dir(session) / "faces-0123456789abcdef.hnsw"  # as a large enrolment saves its graph
    graph.parent.mkdir(parents=True, exist_ok=True)
    graph.write_bytes(b"saved descriptors")
    assert cli("identity", "remove", "astro").code == 0
    assert not graph.exists()  # no copy of the removed person's descriptors is left on disk
    report = cli("scan", folder, "--case", "c1", "--json", "--workers", "1").json_lines()[0]
    assert report["matches"] == []  # removal takes the stored face results with it
    assert cli("identity", "remove", "astro").code == 2


def test_items_scanned_before_enrolment_are_checked_for_faces(cli, database_url: str, folder: Path,
                                                              face_photos: dict[str, Path]) -> None:
    assert cli("scan", folder, "--case", "c1", "--json", "--workers", "1").json_lines()[0]["matches"] == []
    assert cli("identity", "enroll", "astro", face_photos["astronaut"], "--consent", CONSENT).code == 0
    report = cli("scan", folder, "--case", "c1", "--json", "--workers", "1").json_lines()[0]
    assert [Path(m["path"]).name for m in report["matches"]] == ["fake_astronaut.jpg"]
    assert report["hashed"] == 3  # hashed again, this time looking for faces
    again = cli("scan", folder, "--case", "c1", "--json", "--workers", "1").json_lines()[0]
    assert again["hashed"] == 0 and len(again["matches"]) == 1  # checked once is enough



def test_attribution_for_someone_not_enrolled_is_refused(cli, database_url: str, folder: Path) -> None:
    result = cli("attribute", folder / "fake_astronaut.jpg", "--identity", "nobody")
    assert result.code == 2 and "enrolled" in result.err
    (audit,) = cli("identity", "audit", "--json").json_lines()
    assert audit[0]["outcome"] == "refused" and audit[0]["query"] == "nobody"


def test_attribute_ranks_the_enrolled_photo_first(cli, database_url: str, folder: Path,  # type: ignore[no-untyped-def]
                                                   face_photos: dict[str, Path], tmp_path: Path, monkeypatch) -> None:
    assert cli("identity", "enroll", "astro", face_photos["astronaut"], "--consent", CONSENT).code == 0
    result = cli("attribute", folder / "fake_astronaut.jpg", "--identity", "astro", "--json",
                 "--out", tmp_path / "overlay.png")
    assert result.code == 0, result.err
    (answer,) = result.json_lines()
    best = answer["ranked"][0]
    assert best["source"] == str(face_photos["astronaut"]) and best["inliers"] >= 40
    assert best["face_distance"] < 0.5 and best["attribution_score"] > 0.9 and (tmp_path / "overlay.png").exists()
    monkeypatch.setenv("RECLAIM_IDENTITY_PASSPHRASE", "not the right one")  # the photos are encrypted under it
    refused = cli("attribute", folder / "fake_astronaut.jpg", "--identity", "astro")
    assert refused.code == 2 and "wrong passphrase" in refused.err and "Traceback" not in refused.err
    monkeypatch.setenv("RECLAIM_IDENTITY_PASSPHRASE", IDENTITY_PASSPHRASE)
    sources = tmp_path / "sources"
    sources.mkdir()
    for key in ("astronaut", "grace_hopper", "scene"):
        shutil.copy(face_photos[key], sources)
    (answer,) = cli("attribute", folder / "fake_grace_hopper.jpg", "--sources", sources, "--json").json_lines()
    assert Path(answer["ranked"][0]["source"]).name == "grace_hopper.jpg"
    assert answer["ranked"][0]["face_distance"] is None  # a folder is compared by pixels, never by face


def test_provenance_and_triage_commands(cli, database_url: str, folder: Path, face_photos: dict[str, Path]) -> None:
    from PIL import PngImagePlugin

    from reclaim.synthetic.scenes import scene

    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", "x\nSteps: 20, Model: sd15")
    scene(5).save(folder / "generated.png", pnginfo=info)
    lines = {Path(x["path"]).name: x["leads"] for x in cli("provenance", folder, "--json").json_lines()}
    assert lines["scene.png"] == [] and lines["generated.png"][0]["kind"] == "generated"
    assert cli("identity", "enroll", "astro", face_photos["astronaut"], "--consent", CONSENT).code == 0
    assert cli("scan", folder, "--case", "c1", "--workers", "1").code == 0
    (ranked,) = cli("triage", "c1", "--json").json_lines()
    assert [Path(t["path"]).name for t in ranked][:2] == ["fake_astronaut.jpg", "generated.png"]
    assert "astro" in ranked[0]["explanation"] and ranked[-1]["explanation"] == "no signal"
