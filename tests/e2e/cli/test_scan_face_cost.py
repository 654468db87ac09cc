"""What a face costs in a scan: with an identity enrolled, ``reclaim scan`` sends photos without a face through
MTCNN only; dlib's costly passes (landmarks, descriptor) run only for a face MTCNN finds, and the enrolled
person's composite still reaches them and is found (issue 23: the face stage must not cost every photo the
detector's full price)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from reclaim.synthetic.scenes import jpeg_bytes, scene

pytest.importorskip("dlib", reason="needs reclaim[faces]")
from reclaim.signals import face as face_module  # noqa: E402

CONSENT = "enrolled by officer kim at the victim's request, 2026-11-28"
FACELESS_SEEDS = (1, 2, 3, 4)  # generated 1280x960 scenes


def test_face_less_photos_never_reach_dlib_and_the_enrolled_face_still_does(
    cli, face_photos: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    checked: list[tuple[int, ...]] = []  # the pixels of each face handed to dlib
    real = face_module._locate

    def spy(pixels: np.ndarray, proposal: Any, to_pixels: float) -> Any:
        checked.append(pixels.shape)
        return real(pixels, proposal, to_pixels)

    monkeypatch.setattr(face_module, "_locate", spy)
    room = tmp_path / "room"
    room.mkdir()
    for seed in FACELESS_SEEDS:
        (room / f"scene-{seed}.jpg").write_bytes(jpeg_bytes(scene(seed, (1280, 960)), 85))
    assert cli("identity", "enroll", "student-a", face_photos["astronaut"], "--consent", CONSENT).code == 0
    checked.clear()  # enrolment described her own photo

    # one worker: the scan's workers run in this process, where the spy is
    result = cli("scan", room, "--case", "c", "--workers", "1", "--json")
    assert result.code == 0, result.err
    report = result.json_lines()[0]
    assert report["items"] == len(FACELESS_SEEDS) and report["matches"] == []
    assert checked == []  # MTCNN alone looked at every face-less photo

    shutil.copy(face_photos["fake_astronaut"], room / "fake.jpg")
    result = cli("scan", room, "--case", "c", "--workers", "1", "--json")
    assert result.code == 0, result.err
    found = {Path(m["path"]).name: [f["identity"] for f in m["matches"] if f.get("signal_type") == "face"]
             for m in result.json_lines()[0]["matches"]}
    assert found == {"fake.jpg": ["student-a"]}
    assert checked  # her composite reached dlib; the unchanged scenes were not looked at again
