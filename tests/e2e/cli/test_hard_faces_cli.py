"""Small and turned faces of an enrolled person are found by ``reclaim match`` and ``reclaim scan`` (issue 23)."""

from __future__ import annotations

from pathlib import Path

import pytest

from reclaim.synthetic.faces import placed

pytest.importorskip("dlib", reason="needs reclaim[faces]")
CONSENT = "self-enrolled at the centre on 2026-12-05 to find fakes"


def test_small_and_turned_faces_are_matched_and_scanned(cli, database_url: str, tmp_path: Path, faces: dict,
                                                        face_photos: dict[str, Path]) -> None:
    found = tmp_path / "found"
    found.mkdir()
    shown = {"small.jpg": ("astronaut", 42, 0.0), "turned.jpg": ("astronaut", 110, 42.0),
             "turned_back.jpg": ("astronaut", 100, -33.0), "other_small.jpg": ("grace_hopper", 44, 0.0)}
    for name, (who, width, roll) in shown.items():
        (found / name).write_bytes(placed(faces, who, 21, width=width, roll=roll, size=(640, 480)).data)
    assert cli("identity", "enroll", "astro", face_photos["astronaut"], "--consent", CONSENT).code == 0

    lines = {Path(line["path"]).name: line for line in cli("match", "--json", "--workers", "1", found).json_lines()}
    for name in ("small.jpg", "turned.jpg", "turned_back.jpg"):
        (face,) = lines[name]["matches"]
        assert face["signal_type"] == "face" and face["identity"] == "astro", name
    assert lines["other_small.jpg"]["matches"] == []  # another person's small face is not hers

    report = cli("scan", found, "--case", "c1", "--json", "--workers", "1").json_lines()[0]
    assert sorted(Path(m["path"]).name for m in report["matches"]) == ["small.jpg", "turned.jpg", "turned_back.jpg"]
