"""The faces part of ``reclaim demo``: enrol two victims with consent, find their faces in fakes, attribute each
fake to the photo its face was cut from, and order the case by triage. Benign images only: the victims are
scikit-image's astronaut and Matplotlib's grace_hopper, the "fakes" their face regions pasted onto generated
scenes (scaled, turned, mirrored, recoloured, recompressed).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reclaim.attribution import draw_overlay, folder_features, rank_sources, suspect_features
from reclaim.cases.triage import triage_case
from reclaim.identities import enroll
from reclaim.identities.photos import open_photos
from reclaim.media import decode_image
from reclaim.scan.scanner import scan_folder
from reclaim.store import Store
from reclaim.synthetic.faces import Edit, distractors, fake
from reclaim.synthetic.scenes import jpeg_bytes, sample_faces, scene

OFFICER = "demo-officer"
PHOTOS_PASSPHRASE = "demo photos passphrase"  # the demo's own; a real one comes from $RECLAIM_IDENTITY_PASSPHRASE
CONSENT = "demo: the person consented in writing on 2026-11-28 to a face search for fakes of them"
EDITS = (Edit(scale=0.8, rotate=8.0, quality=70), Edit(scale=1.5, rotate=-12.0, mirror=True, colour=0.7),
         Edit(scale=0.6, quality=45))


@dataclass(frozen=True)
class FaceDemo:
    fakes: dict[str, str]  # fake locator -> whose face it carries
    found: dict[str, str]  # fake locator -> identity the scan reported
    decoys_flagged: list[str]
    attributed: dict[str, dict[str, Any]]  # fake locator -> best source, inliers, transform, score
    overlay: Path | None
    triage: list[str]  # the case's top items, "score path: why"

    def summary(self) -> dict[str, Any]:
        right = sum(self.found.get(loc) == who for loc, who in self.fakes.items())
        attributed = sum(Path(a["source"]).stem == self.fakes[loc] for loc, a in self.attributed.items())
        return {"faces_found": f"{right}/{len(self.fakes)}", "decoys_flagged": len(self.decoys_flagged),
                "attributed_to_true_source": f"{attributed}/{len(self.fakes)}", "attribution": self.attributed,
                "overlay": str(self.overlay) if self.overlay else None, "triage_top": self.triage}


def run_face_demo(store: Store, case: str, out: Path, *, workers: int | None,
                  say: Callable[[str], None]) -> FaceDemo:
    portraits = sample_faces()
    photos, fakes_dir = out / "victim-photos", out / "found-faces"
    for folder in (photos, fakes_dir):
        folder.mkdir(parents=True, exist_ok=True)
    for name, image in portraits.items():
        (photos / f"{name}.jpg").write_bytes(jpeg_bytes(image, 92))
    vault = open_photos(PHOTOS_PASSPHRASE, home=out)
    with store.session() as session:
        for name in portraits:
            enroll(session, name, CONSENT, [photos / f"{name}.jpg"], actor=OFFICER, vault=vault, on_behalf_of=name)
    say(f"enrolled {', '.join(portraits)} from their own photos in {photos}, with recorded consent")

    fakes = {}
    for i, (name, edit) in enumerate((n, e) for n in portraits for e in EDITS):
        path = fakes_dir / f"fake_{i}.jpg"
        path.write_bytes(fake(portraits[name], 400 + i, edit))
        fakes[str(path)] = name
    for k in range(3):
        scene(950 + k).save(fakes_dir / f"decoy_{k}.png", compress_level=1)  # zlib level 1: 7x faster, same pixels
    for name, data in distractors(portraits, 10).items():  # the photo folder also holds other photos
        (photos / name).write_bytes(data)
    report = scan_folder(store, case, fakes_dir, workers=workers, actor=OFFICER, case_home=out)
    found = {loc: ms[0].identity for loc, ms in report.face_matches.items()}
    say(f"scanned {fakes_dir}: {len(found)} of {len(fakes)} fakes show an enrolled face "
        f"({sum(found.get(loc) == who for loc, who in fakes.items())} the right person)")

    sources = folder_features(photos)
    attributed: dict[str, dict[str, Any]] = {}
    overlay = None
    for locator in sorted(found):
        decoded = decode_image(Path(locator).read_bytes(), locator)
        suspect = suspect_features(locator, decoded.rgb, decoded.scale, [])
        best = rank_sources(suspect, sources)[0]
        attributed[locator] = best.as_json()
        if overlay is None:
            overlay = draw_overlay(next(s for s in sources if s.name == best.source), suspect, best,
                                   out / "attribution" / f"{Path(locator).stem}-overlay.png")
    right = sum(Path(a["source"]).stem == fakes[loc] for loc, a in attributed.items())
    say(f"attributed {right}/{len(fakes)} fakes to the photo their face was cut from, among {len(sources)} "
        f"photos; overlay (body blurred) in {overlay}")
    with store.session() as session:  # from what the scans recorded, as the web UI orders it: the demo's generated
        ranked = triage_case(session, case, read_files=False)  # files carry no provenance lead to read (half its time)
    triage = [f"{t.score} {Path(t.locator).name}: {t.explanation}" for t in ranked[:3]]
    say("triage, most certain first: " + " | ".join(triage))
    decoys = [loc for loc in report.face_matches if loc not in fakes]
    return FaceDemo(fakes, found, decoys, attributed, overlay, triage)
