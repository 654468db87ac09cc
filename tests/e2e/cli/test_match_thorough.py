"""``reclaim match --mode thorough`` and ``--explain`` from the outside: crops, screenshots, mirrors and
collages that PDQ misses are found by keypoints, reported with inliers and transform; flat images say so.
The default ``--mode auto`` is thorough for a few files, fast for many; a case remembers how a keypoint match
was found, and triage says a collage's finding once."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from reclaim.synthetic.reposts import collage, crop_area, mirror, screenshot
from reclaim.synthetic.scenes import composite, jpeg_bytes, photo_scene, scene

pytest.importorskip("cv2")
pytest.importorskip("faiss")


@pytest.fixture
def known(tmp_path: Path, faces: dict) -> list[Image.Image]:
    return [composite(faces["astronaut"], seed=1), composite(faces["grace_hopper"], seed=2)]


@pytest.fixture
def reposts(tmp_path: Path, known: list[Image.Image]) -> dict[str, Path]:
    made = {"crop": crop_area(known[0], 3, removed=(0.25, 0.3)), "shot": screenshot(known[1], 4),
            "mirror": mirror(known[1], 0), "collage": collage([known[0], scene(77), known[1], scene(78)], 5),
            "flat": Image.new("RGB", (320, 240), (128, 128, 128))}
    paths = {}
    for name, image in made.items():
        paths[name] = tmp_path / f"{name}.jpg"
        paths[name].write_bytes(jpeg_bytes(image, 85))
    return paths


def bank(cli, tmp_path: Path, known: list[Image.Image], kind: str = "known") -> None:
    for i, image in enumerate(known):
        (tmp_path / f"known{i}.jpg").write_bytes(jpeg_bytes(image, 92))
    assert cli("bank", "create", "b", "--kind", kind).code == 0
    added = cli("bank", "add", "b", tmp_path / "known0.jpg", tmp_path / "known1.jpg")
    assert added.code == 0, added.err


def test_thorough_finds_what_pdq_misses(cli, tmp_path: Path, known: list, reposts: dict) -> None:
    bank(cli, tmp_path, known)
    fast = {line["path"]: line for line in cli("match", *reposts.values(), "--mode", "fast", "--json").json_lines()}
    assert all(line["matches"] == [] and "keypoints" not in line for line in fast.values())

    result = cli("match", *reposts.values(), "--mode", "thorough", "--json")
    assert result.code == 0, result.err
    lines = {Path(line["path"]).stem: line for line in result.json_lines()}
    expected = {"crop": ["known0.jpg"], "shot": ["known1.jpg"], "mirror": ["known1.jpg"],
                "collage": ["known0.jpg", "known1.jpg"], "flat": []}
    for name, content_ids in expected.items():
        assert sorted(m["content_id"] for m in lines[name]["matches"]) == content_ids, name
        for match in lines[name]["matches"]:
            assert {"bank", "bank_kind", "content_id", "signal_type", "distance"} <= set(match)
            assert match["signal_type"] == "keypoints" and match["inliers"] >= 15
            assert 0 <= match["distance"] < 0.1 and match["transform"]["score"] > 0.9
    assert lines["mirror"]["matches"][0]["transform"]["mirrored"] is True
    assert 0.25 < lines["shot"]["matches"][0]["transform"]["scale"] < 0.65
    tops = sorted(m["transform"]["query_region"][1] for m in lines["collage"]["matches"])
    assert tops[0] < 0.1 and tops[1] > 0.45  # one in the top row, one in the bottom row
    assert lines["flat"]["keypoints"] == {"features": 0}

    text = cli("match", reposts["flat"], "--mode", "thorough")
    assert "no keypoint features" in text.out and text.code == 0


def test_reference_banks_are_searched_by_keypoints_even_in_fast_mode(cli, tmp_path, known, reposts) -> None:
    bank(cli, tmp_path, known, kind="reference")
    (line,) = cli("match", reposts["crop"], "--mode", "fast", "--json").json_lines()
    assert [(m["content_id"], m["signal_type"]) for m in line["matches"]] == [("known0.jpg", "keypoints")]


def test_a_bank_can_opt_out_of_keypoints(cli, tmp_path, known, reposts) -> None:
    assert cli("bank", "create", "off", "--keypoints", "never").code == 0
    (tmp_path / "k.jpg").write_bytes(jpeg_bytes(known[0], 92))
    assert cli("bank", "add", "off", tmp_path / "k.jpg").code == 0
    (line,) = cli("match", reposts["crop"], "--mode", "thorough", "--json").json_lines()
    assert line["matches"] == []


def test_explain_draws_a_picture_of_one_query(cli, tmp_path: Path, known: list, reposts: dict) -> None:
    bank(cli, tmp_path, known)
    out = tmp_path / "why.png"
    result = cli("match", reposts["collage"], "--explain", out)
    assert result.code == 0, result.err
    with Image.open(out) as picture:
        assert picture.format == "PNG" and picture.width > 640
    assert cli("match", reposts["crop"], reposts["shot"], "--explain", out).code == 2
    nothing = cli("match", reposts["flat"], "--explain", tmp_path / "none.png")
    assert nothing.code == 0 and "nothing to explain" in nothing.err and not (tmp_path / "none.png").exists()


def test_scan_mode_thorough_finds_crops_and_collages_into_the_case(cli, tmp_path: Path, known: list,
                                                                   reposts: dict) -> None:
    bank(cli, tmp_path, known)
    folder = tmp_path / "found"
    folder.mkdir()
    for path in reposts.values():
        (folder / path.name).write_bytes(path.read_bytes())
    fast = cli("scan", folder, "--case", "fast", "--json").json_lines()[0]
    assert not {Path(m["path"]).stem for m in fast["matches"]} & {"crop", "shot", "collage", "mirror"}
    result = cli("scan", folder, "--case", "thorough", "--mode", "thorough", "--json")
    assert result.code == 0, result.out
    found = {Path(m["path"]).stem: sorted(x["content_id"] for x in m["matches"])
             for m in result.json_lines()[0]["matches"]}
    assert found["crop"] == ["known0.jpg"] and found["collage"] == ["known0.jpg", "known1.jpg"]
    assert found["shot"] == ["known1.jpg"] and found["mirror"] == ["known1.jpg"] and "flat" not in found


def test_auto_mode_finds_a_crop_by_default_and_says_how_it_sits(cli, tmp_path: Path, known: list,
                                                                 reposts: dict) -> None:
    bank(cli, tmp_path, known)
    result = cli("match", reposts["crop"], reposts["shot"])
    assert result.code == 0, result.err
    assert "known0.jpg: keypoints:" in result.out and "known1.jpg: keypoints:" in result.out
    assert "inliers" in result.out and "% across" in result.out and "% down the query" in result.out
    assert "distance" not in result.out


def test_auto_mode_stays_fast_for_many_files_and_says_so(cli, tmp_path: Path, known: list, reposts: dict,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    import reclaim.cli.match_cmd
    import reclaim.matching.keypoints

    bank(cli, tmp_path, known)
    for module in (reclaim.cli.match_cmd, reclaim.matching.keypoints):
        monkeypatch.setattr(module, "AUTO_FILES", 1)
    result = cli("match", reposts["crop"], reposts["shot"])  # two files: too many
    assert result.code == 0 and "no match" in result.out and "MATCH" not in result.out
    assert "--mode auto: hashes only (more than 1 files); --mode thorough" in result.err
    assert "known0.jpg" in cli("match", reposts["crop"], reposts["shot"], "--mode", "thorough").out
    for module in (reclaim.cli.match_cmd, reclaim.matching.keypoints):
        monkeypatch.setattr(module, "AUTO_FILES", 64)
    monkeypatch.setattr(reclaim.matching.keypoints, "AUTO_KNOWN", 1)  # two bank images: a bank too big
    big = cli("match", reposts["crop"])
    assert "MATCH" not in big.out and "hashes only (2 bank images with keypoints, over 1)" in big.err


def test_a_case_and_its_triage_show_what_keypoint_matches_rest_on(cli, tmp_path: Path, known: list,
                                                                  reposts: dict) -> None:
    bank(cli, tmp_path, known)
    folder = tmp_path / "found"
    folder.mkdir()
    for name in ("crop", "collage"):
        (folder / reposts[name].name).write_bytes(reposts[name].read_bytes())
    assert cli("scan", folder, "--case", "c", "--mode", "thorough", "--workers", "1").code == 0

    shown = cli("case", "show", "c")
    assert shown.code == 0 and "keypoints distance" not in shown.out
    assert shown.out.count("keypoints:") == 2 and "inliers" in shown.out and "% across" in shown.out
    items = {Path(line["path"]).stem: line for line in cli("case", "show", "c", "--json").json_lines()}
    for match in items["collage"]["matches"]:
        assert match["inliers"] >= 15 and 0 < match["transform"]["scale"] < 1

    ranked = {Path(row["path"]).stem: row["explanation"] for row in cli("triage", "c", "--json").json_lines()[0]}
    assert ranked["collage"].count("known image") == 1
    assert ranked["collage"].startswith("2 known images inside it (b, keypoints: ")
    assert ranked["crop"].startswith("a known image inside it (b, keypoints: ")


@pytest.fixture
def smooth_banked(cli, tmp_path: Path) -> tuple[Path, Path]:
    """bench/case.py's original_0020.jpg in bank ``b``, and the room's crop of it: (banked, crop)."""
    original = photo_scene(900_020)
    (tmp_path / "smooth.jpg").write_bytes(jpeg_bytes(original, 92))
    (tmp_path / "cropped.jpg").write_bytes(jpeg_bytes(crop_area(original, 4955, (0.10, 0.30)), 85))
    assert cli("bank", "create", "b").code == 0
    assert cli("bank", "add", "b", tmp_path / "smooth.jpg").code == 0
    return tmp_path / "smooth.jpg", tmp_path / "cropped.jpg"


def test_a_crop_of_a_smooth_picture_is_found(cli, smooth_banked: tuple[Path, Path]) -> None:
    """bench/case.py's original_0020.jpg: soft gradients, 156 corners at the usual FAST threshold and 148 in this
    crop of it, 8 inliers where the floor was 12; detected again at a lower threshold, the crop is found."""
    (line,) = cli("match", smooth_banked[1], "--mode", "thorough", "--json").json_lines()
    assert [(m["content_id"], m["signal_type"]) for m in line["matches"]] == [("smooth.jpg", "keypoints")]
    assert line["matches"][0]["inliers"] >= 50


def test_a_bank_entry_of_the_previous_keypoint_version_still_finds_the_crop(
        cli, smooth_banked: tuple[Path, Path], reclaim_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A bank filled before smooth pictures were detected again holds orb4 sets (156 corners here), and banks
    keep no media to hash again: its entries are still searched, and the crop's richer set matches them."""
    import hashlib
    import sqlite3

    import numpy as np

    from reclaim.signals import keypoints

    banked, crop = smooth_banked
    with monkeypatch.context() as old:
        old.setattr(keypoints, "SMOOTH_FEATURES", 0)  # orb4: one detection whatever the count
        pixels = np.asarray(Image.open(banked).convert("RGB"))
        blob = keypoints.extract_keypoints(pixels).to_blob()
    with sqlite3.connect(reclaim_home / "reclaim.db") as db:
        changed = db.execute("UPDATE content_signals SET version = 'orb4', value = ?, blob = ? WHERE signal = "
                             "'keypoints'", (hashlib.sha256(blob).hexdigest(), blob)).rowcount
    assert changed == 1

    (line,) = cli("match", crop, "--mode", "thorough", "--json").json_lines()
    assert [(m["content_id"], m["signal_type"]) for m in line["matches"]] == [("smooth.jpg", "keypoints")]
