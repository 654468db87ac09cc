"""Triage: noisy-OR of the evidence, strongest first, one line each; on a scanned case."""

from __future__ import annotations

import shutil
from pathlib import Path

from PIL import PngImagePlugin

from reclaim.banks import create_bank
from reclaim.banks.service import add_content
from reclaim.cases.triage import Reason, score, triage_case
from reclaim.hashing import hash_file
from reclaim.identities import enroll
from reclaim.scan.scanner import scan_folder
from reclaim.store import Store
from reclaim.synthetic.scenes import scene


def test_score_combines_reasons_without_passing_100() -> None:
    assert score([]) == (0, "no signal")
    assert score([Reason(0.5, "a"), Reason(0.5, "b")]) == (75, "a; b")
    value, line = score([Reason(0.2, "weak"), Reason(0.97, "strong"), Reason(0.3, "mid"), Reason(0.1, "tiny")])
    assert value == 98 and line == "strong; mid; weak; +1 more"


def test_a_case_is_ordered_by_certainty(store: Store, tmp_path: Path, face_photos: dict[str, Path],
                                       known_jpeg: Path, photo_vault) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "found"
    folder.mkdir()
    shutil.copy(known_jpeg, folder / "reupload.jpg")
    shutil.copy(face_photos["fake_astronaut"], folder / "fake.jpg")
    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", "x\nSteps: 20, Model: sd15")
    scene(3).save(folder / "generated.png", pnginfo=info)
    scene(4).save(folder / "holiday.png")
    with store.session() as session:
        bank = create_bank(session, "known")
        add_content(session, bank, "known-1", hash_file(known_jpeg).values)
        enroll(session, "astro", "self-enrolled at the centre, 2026-11-28", [face_photos["astronaut"]], actor="kim",
               vault=photo_vault)
    scan_folder(store, "c", folder, workers=1)
    with store.session() as session:
        ranked = triage_case(session, "c")
    assert [Path(t.locator).name for t in ranked] == ["reupload.jpg", "fake.jpg", "generated.png", "holiday.png"]
    assert ranked[0].score >= 95 and "known" in ranked[0].explanation
    assert 70 <= ranked[1].score < 95 and "face of enrolled astro" in ranked[1].explanation
    assert ranked[2].score == 20 and "generated lead" in ranked[2].explanation
    assert (ranked[3].score, ranked[3].explanation) == (0, "no signal")
