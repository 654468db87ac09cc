"""Faces and attribution (issue 7): identity match rates, attribution rate, speed. Benign images only.

Fakes: the face region of scikit-image's astronaut or Matplotlib's grace_hopper, edited (scale 0.5-2x,
turn +-15 deg, 30 % mirrored, saturation 0.6-1.4, JPEG q 40-90; src/reclaim/synthetic/faces.py) and pasted
onto a generated 1024x800 scene. Both portraits are enrolled from their package photos.

- Identity match: each fake goes through the scan path (fast decode, FaceSignal, nearest enrolled identity
  within 0.6); "right" = the fake's own identity is reported, "wrong" = the other one is. Face-free scenes
  must give nothing. Targets: right >= 95 %, wrong <= 1 %.
- Attribution: the two true sources among ``--distractors`` others (each portrait's background with the other
  face pasted in, swapped recrops, scenes); top-1 must be the true source. Target >= 90 %.
- Speed: photos/s for detection + description (hash_files with the face signal, ``--workers``) on 1-3 MP
  photos with a face, against plain hashing of the same files (the baseline); attribution time per suspect
  against 100 prepared sources. Targets: >= 10 photos/s on 2 cores, <= 2 s per suspect.

- Small, turned and hard (issue 23, bench/faces_hard.py): faces 40-60 px wide, faces turned 30-50 deg, and
  frames sampled from a generated H.264 clip, each kind through today's detector and the one before issue 23
  in the same run (right identity >= 95 % per kind, wrong 0); CPU per face-less photo for both; and a scan of
  ``--scan-n`` 1280x960 photos (1 in 20 a composite) with one enrolled identity against the hashes-only scan
  of the same folder (<= 2x, aim 1.5x). ``--only-hard`` runs this part alone. The cases come from a held-out
  seed (``--seed``, default 57) that was not used to tune the detector; 23 and 31 are the seeds it was
  developed on.

    .venv/bin/python bench/faces.py [--n 100] [--distractors 22] [--speed-n 60] [--workers 2] [--hard-n 40]
                                    [--scan-n 400] [--seed 57] [--only-hard] [--no-append]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
from faces_hard import HELD_OUT_SEED, faceless, kinds, recall, scan_cost
from record import Figure, append_section, machine, table

from reclaim.attribution import photo_features, rank_sources, suspect_features
from reclaim.errors import SignalError
from reclaim.hashing import FileHashes, hash_files
from reclaim.identities import face_score
from reclaim.index.face_vectors import FaceVectorIndex, unpack_face
from reclaim.media import decode_image
from reclaim.signals import Media
from reclaim.signals.face import SAME_PERSON, FaceSignal, detect_faces
from reclaim.synthetic.faces import Edit, distractors, fake
from reclaim.synthetic.scenes import jpeg_bytes, sample_faces, scene

WHO = ("astronaut", "grace_hopper")


def make_fakes(portraits: dict, n: int, seed: int) -> list[tuple[str, Edit, bytes]]:
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        edit = Edit.random(rng)
        out.append((WHO[i % 2], edit, fake(portraits[WHO[i % 2]], seed * 1000 + i, edit)))
    return out


def identity_rates(portraits: dict, fakes: list, scenes: list[bytes]) -> tuple[list[list[object]], dict]:
    index, names = FaceVectorIndex(), {}
    for ref, who in enumerate(WHO):
        index.add_vectors([ref], detect_faces(np.asarray(portraits[who]))[0].descriptor[None])
        names[ref] = who
    right = wrong = missed = 0
    same, other = [], []
    for who, _, data in fakes:
        values = FaceSignal().compute(Media("f.jpg", data, decode_image(data, "f.jpg")))
        found = {names[h.ref]: h.distance for v in values for h in index.query_vector(unpack_face(v.value)[0], 9)}
        same.append(found.get(who, 9.0))
        other.append(min([d for n, d in found.items() if n != who], default=9.0))
        best = min(found.items(), key=lambda kv: kv[1]) if found else None
        if best is None or best[1] > SAME_PERSON:
            missed += 1
        elif best[0] == who:
            right += 1
        else:
            wrong += 1
    scene_hits = sum(bool(FaceSignal().compute(Media("s.jpg", d, decode_image(d, "s.jpg")))) for d in scenes)
    n = len(fakes)
    stats: dict = {"right": 100 * right / n, "wrong": 100 * wrong / n}
    rows = [["right identity reported", f"{right}/{n}", f"{100 * right / n:.1f} %", ">= 95 %"],
            ["other identity reported", f"{wrong}/{n}", f"{100 * wrong / n:.1f} %", "<= 1 %"],
            ["no match (missed)", f"{missed}/{n}", f"{100 * missed / n:.1f} %", ""],
            ["face-free scenes with any face", f"{scene_hits}/{len(scenes)}", "", "0"]]
    same_found = [d for d in same if d < 9]
    stats |= {"same": np.percentile(same_found, [50, 95, 100]) if same_found else [],
             "other": np.percentile([d for d in other if d < 9], [0, 5, 50]) if any(d < 9 for d in other) else []}
    return rows, stats


def attribution_rate(portraits: dict, fakes: list, n_distractors: int) -> tuple[list[list[object]], float]:
    sources = prepare({f"{w}.jpg": jpeg_bytes(portraits[w], 92) for w in WHO} | distractors(portraits, n_distractors))
    right, times, inliers = 0, [], []
    for who, _, data in fakes:
        image = decode_image(data, "s.jpg")
        start = time.perf_counter()
        try:
            ranked = rank_sources(suspect_features("s.jpg", image.rgb, image.scale, []), sources)
        except SignalError:
            continue
        times.append(time.perf_counter() - start)
        right += ranked[0].source == f"{who}.jpg"
        inliers.append(ranked[0].inliers)
    n = len(fakes)
    rows = [[f"top-1 = true source, among {len(sources)} photos", f"{right}/{n}", f"{100 * right / n:.1f} %",
             ">= 90 %"]]
    return rows, float(np.median(times)), 100 * right / n


def prepare(photos: dict[str, bytes]) -> list:
    features = []
    for name, data in photos.items():
        image = decode_image(data, name)
        features.append(photo_features(name, image.rgb, image.scale))
    return features


def speed(portraits: dict, n: int, workers: int, fakes: list) -> list[list[object]]:
    sizes = [(1280, 960), (1600, 1200), (2000, 1500), (1500, 2000), (1920, 1080)]
    rng = np.random.default_rng(5)
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for i in range(n):
            size = sizes[i % len(sizes)]
            edit = Edit(scale=float(rng.uniform(1.0, 2.0)), rotate=float(rng.uniform(-8, 8)))
            path = Path(tmp) / f"photo_{i:03d}.jpg"
            path.write_bytes(fake(portraits[WHO[i % 2]], 7000 + i, edit, size))
            paths.append(path)
        rows = []
        for label, opt_in in (("hash only (baseline)", frozenset()), ("hash + faces", frozenset({"face"}))):
            start = time.perf_counter()
            outcomes = list(hash_files(paths, workers=workers, opt_in=opt_in))
            took = time.perf_counter() - start
            faces = sum(v.signal == "face" for o in outcomes if isinstance(o, FileHashes) for v in o.values)
            rows.append([label, f"{n / took:.1f} photos/s", f"{faces} faces", f"{took:.1f} s", n / took])
        cpu = []  # CPU seconds per photo in one process: what the shared cores' load does not distort
        for path in paths:
            start = time.process_time()
            data = path.read_bytes()
            FaceSignal().compute(Media(path.name, data, decode_image(data, path.name)))
            cpu.append(time.process_time() - start)
        rows.append(["decode + detect + describe, CPU per photo (median)", f"{1000 * np.median(cpu):.0f} ms",
                     f"= {workers / np.median(cpu):.1f} photos/s on {workers} idle cores", ""])
    sources = prepare({f"{w}.jpg": jpeg_bytes(portraits[w], 92) for w in WHO} | distractors(portraits, 98))
    times, cpu = [], []
    for _, _, data in fakes[:20]:
        image = decode_image(data, "s.jpg")
        start, start_cpu = time.perf_counter(), time.process_time()
        try:
            rank_sources(suspect_features("s.jpg", image.rgb, image.scale, []), sources)
        except SignalError:
            continue
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    rows.append(["attribution, 1 suspect vs 100 sources: wall median / max",
                 f"{np.median(times):.2f} s / {max(times):.2f} s", f"CPU median {np.median(cpu):.2f} s",
                 "target <= 2 s"])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=100)
    parser.add_argument("--distractors", type=int, default=22)
    parser.add_argument("--speed-n", type=int, default=60)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--hard-n", type=int, default=40)
    parser.add_argument("--scan-n", type=int, default=400)
    parser.add_argument("--seed", type=int, default=HELD_OUT_SEED,
                        help="seed of the small, turned and video cases (23 and 31: those the detector was tuned on)")
    parser.add_argument("--only-hard", action="store_true")
    parser.add_argument("--no-append", action="store_true")
    args = parser.parse_args()
    portraits = sample_faces()
    hard(portraits, args)
    if args.only_hard:
        return
    fakes = make_fakes(portraits, args.n, seed=1)
    scenes = [jpeg_bytes(scene(8000 + i, (1024, 768))) for i in range(20)]
    id_rows, stats = identity_rates(portraits, fakes, scenes)
    at_rows, at_time, at_rate = attribution_rate(portraits, fakes, args.distractors)
    sp_rows = speed(portraits, args.speed_n, args.workers, fakes)
    body = "\n\n".join([
        f"{machine()}. {args.n} fakes (half each portrait), edits drawn per fake: scale 0.5-2x, turn +-15 deg, "
        "30 % mirrored, saturation 0.6-1.4, JPEG q 40-90, on a 1024x800 generated scene.",
        table(["identity match (scan path, threshold 0.6)", "count", "rate", "target"], id_rows),
        f"Distances: own identity p50/p95/max {', '.join(f'{d:.3f}' for d in stats['same'])}; other identity "
        f"min/p5/p50 {', '.join(f'{d:.3f}' for d in stats['other'])}. Face score (uncalibrated) at 0.4 / 0.5 / 0.6: "
        f"{face_score(0.4):.3f} / {face_score(0.5):.3f} / {face_score(0.6):.3f}.",
        table(["attribution", "count", "rate", "target"], at_rows) + f"\n\nmedian time per suspect {at_time:.2f} s",
        table(["speed", "rate", "", "wall"], [row[:4] for row in sp_rows]),
    ])
    size = f"{args.n} fakes, {args.distractors} distractors, {args.speed_n} photos for speed"
    photos_s = float(sp_rows[1][4])
    figures = [Figure("right identity reported", f"{stats['right']:.1f} %", ">= 95 %", stats["right"] >= 95, size),
               Figure("other identity reported", f"{stats['wrong']:.1f} %", "<= 1 %", stats["wrong"] <= 1, size),
               Figure("attribution top-1", f"{at_rate:.1f} %", ">= 90 %", at_rate >= 90, size),
               Figure(f"hash + faces photos/s, {args.workers} workers", f"{photos_s:.1f}", ">= 10", photos_s >= 10,
                      size),
               Figure("attribution per suspect vs 100 sources, wall max (s)", sp_rows[-1][1], "<= 2",
                      float(sp_rows[-1][1].split("/")[1].strip().rstrip(" s")) <= 2, size)]
    print(body)
    if not args.no_append:
        append_section("faces: identity match, attribution, speed (bench/faces.py)", body, figures)


def hard(portraits: dict, args: argparse.Namespace) -> None:
    """Issue 23: small, turned and video-frame faces; face-less photos; the scan with an enrolled identity."""
    rec = recall(portraits, kinds(portraits, args.hard_n, args.seed))
    free, medians = faceless(12)
    scan_rows, wall_ratio, cpu_ratio = scan_cost(portraits, args.scan_n, args.workers)
    now = "MTCNN + dlib (now)"
    before = "HOG passes (before)"
    speedup = {label: medians[f"{label}|{before}"] / medians[f"{label}|{now}"]
               for label in ("generated scenes", "scikit-image photos")}
    held_out = ", held out: not used to tune the detector" if args.seed == HELD_OUT_SEED else ""
    body = "\n\n".join([
        f"{machine()} (the cores are shared: compare within this run). Composites of the two portraits on "
        "generated 1280x960 scenes "
        f"({args.hard_n} per kind, half each portrait; seed {args.seed}{held_out}); video: a 640x360 H.264 clip "
        f"of {args.hard_n} s, one "
        "composite a second (face 60-120 px, turned up to 20 deg), sampled at 1 frame/s.",
        table(["kind", "detector", "right identity", "rate", "wrong identity", "CPU per image (median)"],
              [row[:6] for row in rec]),
        table(["face-less 1280x960 photos", "detector", "CPU median", "CPU max", "any face reported"], free)
        + "\n\nFace-less photos, CPU per photo before / now: "
        + ", ".join(f"{label} {ratio:.1f}x faster" for label, ratio in speedup.items()),
        table(["scan of the same folder", "wall (median of 2)", "vs hashes only", "CPU of the scan processes",
               "vs hashes only", "items matched"], scan_rows)
        + f"\n\n{args.scan_n} photos of 1280x960, one in 20 a composite (face 120 px), {args.workers} workers; "
        "runs alternate hashes-only and enrolled, twice.",
    ])
    size = f"{args.hard_n} per kind (seed {args.seed}); scan of {args.scan_n} photos"
    figures = [Figure(f"{row[0]}: right identity (now)", row[3], ">= 95 %", float(row[6]) >= 95 and row[7] == 0,
                      size) for row in rec if row[1] == now]
    figures += [Figure(f"{row[0]}: right identity (before, same run)", row[3], "", None, size)
                for row in rec if row[1] == before]
    figures += [Figure("scan with 1 identity enrolled / hashes only, wall", f"{wall_ratio:.2f}x", "<= 2x (aim 1.5x)",
                       wall_ratio <= 2, size),
                Figure("scan with 1 identity enrolled / hashes only, CPU", f"{cpu_ratio:.2f}x", "<= 2x",
                       cpu_ratio <= 2, size),
                Figure("face-less photo CPU, before / now (scikit-image photos)",
                       f"{speedup['scikit-image photos']:.1f}x", "", None, size)]
    print(body)
    if not args.no_append:
        append_section("faces: small, turned and video-frame faces; the face stage's cost (bench/faces.py)", body,
                       figures)


if __name__ == "__main__":
    main()
