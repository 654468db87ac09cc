"""Evidence export and verify for a case of 10,000 items (issue 8 target: each under 60 s on 2 cores).

Baseline, measured in the same run: writing the same manifest and payload files into a plain zip with no
custody, signature, report or previews ("plain zip"), and reading it back with sha256 of every member.
Usage: .venv/bin/python bench/bundle.py [--items 10000] [--flagged 1000]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import tempfile
import time
import zipfile
from pathlib import Path

from record import Figure, append_section

from reclaim.evidence.bundle import export_bundle
from reclaim.evidence.casefiles import CaseFiles
from reclaim.evidence.verify import verify_bundle
from reclaim.store import open_store
from reclaim.store.models import Case, Item, ItemSignal, MatchRow, Scan
from reclaim.synthetic.scenes import jpeg_bytes, scene

TARGET_SECONDS = 60


def build_case(root: Path, n_items: int, n_flagged: int) -> tuple[str, Path]:
    url = f"sqlite:///{root / 'reclaim.db'}"
    media = root / "media"
    media.mkdir()
    bases = [jpeg_bytes(scene(seed=s, size=(320, 240)), 85) for s in range(8)]
    with open_store(url) as store, store.session() as session:
        case = Case(name="bench")
        session.add(case)
        session.flush()
        scan = Scan(case_id=case.id, target=str(media))
        session.add(scan)
        session.flush()
        for i in range(n_items):
            path = media / f"item_{i:05d}.jpg"
            data = bases[i % len(bases)] + i.to_bytes(4, "big")  # distinct files, same pixels
            if i < n_flagged:
                path.write_bytes(data)
            sha = hashlib.sha256(data).hexdigest()
            item = Item(case_id=case.id, scan_id=scan.id, locator=str(path), context={"source": "folder"},
                        status="hashed", sha256=sha, size=len(data), media_format="JPEG", width=320, height=240)
            item.signals = [ItemSignal(signal="sha256", version="1", value=sha),
                            ItemSignal(signal="md5", version="1", value=hashlib.md5(data).hexdigest()),
                            ItemSignal(signal="pdq", version="1", value=f"{i:064x}", quality=100)]
            if i < n_flagged:
                item.matches = [MatchRow(bank="known", bank_kind="known", content_id=f"k{i % 50}", signal="pdq",
                                         signal_version="1", distance=float(i % 30))]
            session.add(item)
    return url, media


def plain_zip(bundle: Path, dest: Path) -> float:
    """The baseline: the same members, stored without any of the evidence work."""
    with zipfile.ZipFile(bundle) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    start = time.perf_counter()
    with zipfile.ZipFile(dest, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data, compress_type=zipfile.ZIP_DEFLATED)
    with zipfile.ZipFile(dest) as zf:
        for name in zf.namelist():
            hashlib.sha256(zf.read(name)).hexdigest()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--flagged", type=int, default=1_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="reclaim-bench-bundle-") as tmp:
        root = Path(tmp)
        os.environ["RECLAIM_HOME"] = str(root / "home")
        url, _ = build_case(root, args.items, args.flagged)
        bundle = root / "bundle.zip"
        with open_store(url) as store, store.session() as session:
            start = time.perf_counter()
            result = export_bundle(session, CaseFiles.for_case("bench"), bundle, actor="bench")
            export_s = time.perf_counter() - start
        start = time.perf_counter()
        verified = verify_bundle(bundle)
        verify_s = time.perf_counter() - start
        assert verified.ok, verified.problems
        baseline_s = plain_zip(bundle, root / "plain.zip")
        size_mb = bundle.stat().st_size / 1e6
    lines = [
        f"{args.items:,} items ({args.flagged:,} flagged, with blurred previews and the PDF report), originals "
        f"excluded; 2 shared cores. Baseline: the same members zipped and re-read with sha256, no evidence work.\n",
        "| step | seconds | target | vs baseline |",
        "|---|---|---|---|",
        f"| export (custody, manifest, signature, previews, HTML+PDF) | {export_s:.1f} | < 60 | "
        f"{export_s / baseline_s:.1f}× |",
        f"| verify (signature, {verified.files_checked:,} file hashes, {verified.custody_entries:,} custody "
        f"entries) | {verify_s:.1f} | < 60 | {verify_s / baseline_s:.1f}× |",
        f"| baseline plain zip write + read | {baseline_s:.2f} | | 1.0× |",
        f"\nBundle {size_mb:.1f} MB; PDF included: {result.pdf}.\n",
    ]
    print("\n".join(lines))
    size = f"{args.items:,} items, {args.flagged:,} flagged"
    figures = [Figure("export (s)", f"{export_s:.1f}", f"< {TARGET_SECONDS}", export_s < TARGET_SECONDS, size),
               Figure("verify (s)", f"{verify_s:.1f}", f"< {TARGET_SECONDS}", verify_s < TARGET_SECONDS, size)]
    append_section("Evidence bundle export/verify (bench/bundle.py)", "\n".join(lines), figures)


if __name__ == "__main__":
    main()
