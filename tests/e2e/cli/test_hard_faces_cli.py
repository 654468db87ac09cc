"""Small and turned faces of an enrolled person, in photos and in a video frame, are found by ``reclaim match``
and ``reclaim scan`` (issue 23).

The 40 and 45 px faces and the video's 66 px face turned 19 degrees were each missed by the detector before
these cases were added (the cascade sampled too coarsely for the first, and looked for turned faces only from
96 px for the second); the others guard what it already found.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image, ImageChops

from reclaim.synthetic.faces import placed
from reclaim.synthetic.scenes import scene

pytest.importorskip("dlib", reason="needs reclaim[faces]")
CONSENT = "self-enrolled at the centre on 2026-12-05 to find fakes"
SHOWN = (2, 4)  # the video shows her tilted face from second 2 up to second 4


def _tilted_clip(path: Path, faces: dict) -> None:
    """6 s of 640x360: generated scenes, and in seconds 2-3 her 66 px face turned 19 degrees, moving a little."""
    pytest.importorskip("av")
    from reclaim.synthetic.video import write_clip

    shown = Image.open(io.BytesIO(placed(faces, "astronaut", 32, width=66, roll=-19, size=(640, 360)).data))
    pictures = [ImageChops.offset(shown, 4 * s, 0) if SHOWN[0] <= s < SHOWN[1] else scene(300 + s, (640, 360))
                for s in range(6)]
    write_clip(path, pictures, fps=4, size=(640, 360))


def test_small_and_turned_faces_are_matched_and_scanned(cli, database_url: str, tmp_path: Path, faces: dict,
                                                        face_photos: dict[str, Path]) -> None:
    found = tmp_path / "found"
    found.mkdir()
    shown = {"small.jpg": ("astronaut", 42, 0.0, 21), "small_40.jpg": ("astronaut", 40, -6.0, 219),
             "small_45.jpg": ("astronaut", 45, 2.0, 181), "turned.jpg": ("astronaut", 110, 42.0, 21),
             "turned_back.jpg": ("astronaut", 100, -33.0, 21), "other_small.jpg": ("grace_hopper", 44, 0.0, 21)}
    for name, (who, width, roll, seed) in shown.items():
        (found / name).write_bytes(placed(faces, who, seed, width=width, roll=roll, size=(640, 480)).data)
    _tilted_clip(found / "tilted.mp4", faces)
    assert cli("identity", "enroll", "astro", face_photos["astronaut"], "--consent", CONSENT).code == 0

    ours = ["small.jpg", "small_40.jpg", "small_45.jpg", "tilted.mp4", "turned.jpg", "turned_back.jpg"]
    lines = {Path(line["path"]).name: line for line in cli("match", "--json", "--workers", "1", found).json_lines()}
    for name in ours:
        (face,) = lines[name]["matches"]
        assert face["signal_type"] == "face" and face["identity"] == "astro", name
    assert SHOWN[0] <= lines["tilted.mp4"]["matches"][0]["frame_time"] <= SHOWN[1]
    assert lines["other_small.jpg"]["matches"] == []  # another person's small face is not hers

    report = cli("scan", found, "--case", "c1", "--json", "--workers", "1").json_lines()[0]
    assert sorted(Path(m["path"]).name for m in report["matches"]) == ours
    (video,) = [m for m in report["matches"] if m["path"].endswith("tilted.mp4")]
    assert all(SHOWN[0] <= f["frame_time"] <= SHOWN[1] for f in video["matches"] if f["signal_type"] == "face")
