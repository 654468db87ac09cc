"""``reclaim demo``: a whole synthetic case, end to end, from benign images only.

It makes "known" images (package-shipped portraits pasted onto generated scenes, standing in for abusive
fakes), enrols them in a bank, builds a folder of re-uploads (re-encoded, resized, recoloured, cropped),
unrelated decoys and broken files, scans it into the case ``demo`` and reports what was found. It then drafts
Korean and English removal notices for the matches and tracks one request until a local web host takes the
items down, runs the faces part (``demo_faces``) and scans a generated Telegram export (``demo_telegram``).
Everything is written under ``out``: the database, the images, ``notices/`` and ``report.json``.
"""

from __future__ import annotations

import json
import shutil
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image

from reclaim.banks.service import add_content, create_bank
from reclaim.cases import Decision, review_item
from reclaim.demo.faces import FaceDemo, run_face_demo
from reclaim.demo.takedown import TakedownDemo, demo_takedown
from reclaim.demo.telegram import CASE as TELEGRAM_CASE
from reclaim.demo.telegram import TelegramDemo, run_telegram_demo
from reclaim.evidence.acquisition import record_acquisitions, record_reviews
from reclaim.evidence.bundle import export_bundle
from reclaim.evidence.casefiles import CaseFiles
from reclaim.evidence.verify import verify_bundle
from reclaim.hashing import FileHashes, hash_file
from reclaim.matching.keypoints import Mode
from reclaim.models import BankKind
from reclaim.scan.scanner import Progress, ScanReport, scan_folder
from reclaim.signals.keypoints import bank_opt_in
from reclaim.store import Store, open_store
from reclaim.synthetic.reposts import collage, screenshot
from reclaim.synthetic.scenes import GLOBAL_EDITS, LOCAL_EDITS, composite, jpeg_bytes, sample_faces, scene

CASE = "demo"
BANK = "demo-known"
REUPLOAD_EDITS = ("jpeg_q30", "resize_0.5", "bright_+20", "greyscale", "resize_2.0", "blur_1")
# PDQ is global and misses these; the keypoint stage finds them, and a screenshot and a collage too.
EXPECTED_MISSES = ("crop_4pct", "banner_15pct")


@dataclass(frozen=True)
class DemoResult:
    out: Path
    database_url: str
    report: ScanReport
    reuploads: list[str]  # locators that should match
    hard_cases: list[str]  # crops/banners PDQ is expected to miss
    decoys: list[str]  # locators that must not match
    takedown: TakedownDemo  # notices drafted for the matches, one request tracked until the host removed them
    evidence: DemoEvidence  # reviews recorded, a signed bundle exported and verified
    faces: FaceDemo  # victims enrolled with consent, their faces found in fakes, each fake attributed
    telegram: TelegramDemo  # a group's export: re-posts found, the victim named, her number posted, who posted

    @property
    def telegram_case(self) -> str:
        return TELEGRAM_CASE

    @property
    def found(self) -> list[str]:
        return [loc for loc in self.reuploads if loc in self.report.matches]

    @property
    def false_alarms(self) -> list[str]:
        return [loc for loc in self.decoys if loc in self.report.matches]


@dataclass(frozen=True)
class DemoEvidence:
    confirmed: int
    second_look: int
    bundle: Path
    report_pdf: Path | None
    report_html: Path
    verified: bool
    custody_entries: int


def run_demo(out: Path, *, workers: int | None = None, on_progress: Progress | None = None,
             say: Callable[[str], None] = lambda _: None) -> DemoResult:
    out = out.resolve()
    if (out / "reclaim.db").exists():
        (out / "reclaim.db").unlink()  # the demo always starts from a clean case ...
    shutil.rmtree(out / "cases", ignore_errors=True)  # ... with a fresh case key and custody log
    database_url = f"sqlite:///{out / 'reclaim.db'}"
    known_dir, found_dir = out / "known", out / "found"
    for folder in (known_dir, found_dir / "channel-a", found_dir / "channel-b", found_dir / "other"):
        folder.mkdir(parents=True, exist_ok=True)

    faces = sample_faces()
    known = {f"known-{i + 1}-{name}": composite(face, seed=100 + i)
             for i, (name, face) in enumerate([*faces.items(), ("astronaut", faces["astronaut"])])}
    for name, image in known.items():
        (known_dir / f"{name}.jpg").write_bytes(jpeg_bytes(image, 92))
    say(f"made {len(known)} known images (benign composites) in {known_dir}")

    store = open_store(database_url)
    with store.session() as session:
        bank = create_bank(session, BANK, BankKind.KNOWN)
        for path in sorted(known_dir.iterdir()):
            outcome = hash_file(path, opt_in=bank_opt_in())
            if isinstance(outcome, FileHashes):
                add_content(session, bank, path.stem, outcome.values, note="demo known image")
    say(f"enrolled them in bank {BANK!r}")

    reuploads, hard, decoys = _build_found_folder(found_dir, known)
    say(f"built a folder to scan: {len(reuploads)} re-uploads, {len(hard)} crops/banners, "
        f"{len(decoys)} decoys, 2 broken files")
    report = scan_folder(store, CASE, found_dir, workers=workers, on_progress=on_progress, mode=Mode.THOROUGH,
                         case_home=out)
    evidence = _review_and_export(store, out, report.matches, hard)
    say(f"an officer confirmed {evidence.confirmed} matches and flagged {evidence.second_look} for a second look; "
        f"signed evidence bundle {evidence.bundle} ({'verified' if evidence.verified else 'NOT verified'}, "
        f"{evidence.custody_entries} custody entries)")
    takedown = demo_takedown(store, CASE, found_dir, out / "notices")
    say(f"drafted Korean and English notices in {out / 'notices'}; request #{takedown.request_id} was sent, the "
        f"local host took {takedown.removed}/{takedown.reported} items down and a re-check found it {takedown.state}")
    faces_demo = run_face_demo(store, CASE, out, workers=workers, say=say)
    telegram = run_telegram_demo(store, out, list(known.values()), workers=workers, say=say)
    result = DemoResult(out, database_url, report, reuploads, hard, decoys, takedown, evidence, faces_demo,
                        telegram)
    (out / "report.json").write_text(json.dumps(_summary(result), indent=2))
    store.close()
    return result


def _review_and_export(store: Store, out: Path, matches: Mapping[str, object], hard: list[str]) -> DemoEvidence:
    """An officer's pass over the matches, recorded in the custody log, then a signed, verified bundle."""
    officer = "demo-officer"
    files = CaseFiles.for_case(CASE, home=out)
    confirmed = second_look = 0
    with store.session() as session:
        record_acquisitions(session, files, officer)
        reviews = []
        for locator in sorted(matches):
            decision = Decision.NEEDS_SECOND_LOOK if locator in hard else Decision.CONFIRMED
            reviews.append(review_item(session, CASE, locator, decision, officer, "demo review"))
            confirmed += decision is Decision.CONFIRMED
            second_look += decision is Decision.NEEDS_SECOND_LOOK
        record_reviews(session, files, reviews, officer)
    folder = out / "evidence"
    folder.mkdir(exist_ok=True)
    bundle = folder / "demo-evidence.zip"
    with store.session() as session:
        exported = export_bundle(session, files, bundle, actor=officer)
    with zipfile.ZipFile(bundle) as zf:  # the reports, next to the bundle, for people to open
        for name in ("report.html", "report.pdf"):
            if name in zf.namelist():
                (folder / name).write_bytes(zf.read(name))
    verification = verify_bundle(bundle)
    return DemoEvidence(confirmed, second_look, bundle, folder / "report.pdf" if exported.pdf else None,
                        folder / "report.html", verification.ok, verification.custody_entries)


def _build_found_folder(found: Path, known: dict[str, Image.Image]) -> tuple[list[str], list[str], list[str]]:
    reuploads, hard, decoys = [], [], []
    for i, image in enumerate(known.values()):
        for j, edit in enumerate(REUPLOAD_EDITS):
            if (i + j) % 2:  # spread the edits over the known images and the two channels
                continue
            path = found / ("channel-a" if j % 3 else "channel-b") / f"photo_{i}{j}_{edit}.jpg"
            path.write_bytes(jpeg_bytes(GLOBAL_EDITS[edit](image), 85))
            reuploads.append(str(path))
        for edit in EXPECTED_MISSES:
            path = found / "channel-b" / f"repost_{i}_{edit}.jpg"
            path.write_bytes(jpeg_bytes(LOCAL_EDITS[edit](image), 85))
            hard.append(str(path))
    images = list(known.values())
    for name, repost in (("screenshot", screenshot(images[0], 5)), ("collage", collage([*images, scene(950)], 6))):
        path = found / "channel-b" / f"repost_{name}.jpg"
        path.write_bytes(jpeg_bytes(repost, 85))
        hard.append(str(path))
    exact = found / "channel-a" / "forwarded_copy.jpg"
    exact.write_bytes((found.parent / "known" / f"{next(iter(known))}.jpg").read_bytes())
    reuploads.append(str(exact))
    for k in range(6):
        path = found / "other" / f"holiday_{k}.png"
        scene(seed=900 + k).save(path, compress_level=1)  # zlib level 1: 7x faster than the default, same pixels
        decoys.append(str(path))
    (found / "other" / "truncated.jpg").write_bytes(jpeg_bytes(scene(seed=7))[:3000])
    (found / "other" / "notes.jpg").write_text("not an image, just text with a .jpg name\n")
    return reuploads, hard, decoys


def _summary(result: DemoResult) -> dict[str, Any]:
    report = result.report
    return {
        "case": report.case,
        "database": result.database_url,
        "scanned": report.items,
        "reuploads_found": f"{len(result.found)}/{len(result.reuploads)}",
        "crops_and_banners_found": f"{sum(h in report.matches for h in result.hard_cases)}/{len(result.hard_cases)}",
        "decoys_flagged": f"{len(result.false_alarms)}/{len(result.decoys)}",
        "matches": {loc: [{"bank": m.bank, "content_id": m.content_id, "signal_type": m.signal,
                           "distance": m.distance} for m in ms] for loc, ms in sorted(report.matches.items())},
        "not_read": [{"path": s.locator, "error": s.reason} for s in report.failed],
        "evidence": {"bundle": str(result.evidence.bundle), "verified": result.evidence.verified,
                     "confirmed": result.evidence.confirmed, "second_look": result.evidence.second_look,
                     "report_html": str(result.evidence.report_html),
                     "report_pdf": str(result.evidence.report_pdf) if result.evidence.report_pdf else None},
        "takedown": {"notices": [p.name for p in result.takedown.notices], "request": result.takedown.request_id,
                     "state": result.takedown.state,
                     "removed": f"{result.takedown.removed}/{result.takedown.reported}"},
        "faces": result.faces.summary(),
        "telegram": result.telegram.summary(),
    }
