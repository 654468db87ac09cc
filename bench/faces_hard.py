"""Issue 23's part of bench/faces.py: small, turned and video-frame faces, face-less photos, and the scan's cost.

Every figure is measured against a baseline in the same run: recall per kind against the detector used before
issue 23 (``legacy_faces``: HOG on an 800 px copy, then +-15 deg turned copies and a 1600 px copy when nothing
was found), the fast detector's per-photo cost against the legacy one's, and a scan with one enrolled
identity against the hashes-only scan of the same folder.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from reclaim.media import decode_image
from reclaim.signals.face import MAX_FACES, SAME_PERSON, _models, descriptor_distance, detect_faces
from reclaim.synthetic.faces import placed
from reclaim.synthetic.scenes import jpeg_bytes, scene

WHO = ("astronaut", "grace_hopper")
LEGACY_MIN_SCORE = 0.5  # HOG scores: real faces ~1.2, the astronaut's mission patch 0.12
LEGACY = ((800, 0.0), (800, 15.0), (800, -15.0), (1600, 0.0))  # (longest side, turn): before issue 23


@cache
def _hog_detector() -> Any:
    """dlib's HOG face detector (~0.4 s to load), used only by the detector before issue 23."""
    import dlib

    return dlib.get_frontal_face_detector()


def legacy_faces(rgb: np.ndarray) -> list[np.ndarray]:
    """Descriptors as the detector before issue 23 found them (signals/face.py at ab055f2)."""
    import cv2
    import dlib

    detector, (landmarks, network) = _hog_detector(), _models()
    rgb = np.ascontiguousarray(rgb)
    for side, turn in LEGACY:
        upsample = 0
        if side > max(rgb.shape[:2]) and side > LEGACY[0][0]:
            side, upsample = max(rgb.shape[:2]), 1
        shrink = min(1.0, side / max(rgb.shape[:2]))
        h, w = rgb.shape[:2]
        image = rgb if not turn else cv2.warpAffine(rgb, cv2.getRotationMatrix2D(((w - 1) / 2, (h - 1) / 2), turn, 1.0),
                                                    (w, h), flags=cv2.INTER_LINEAR)
        small = cv2.resize(image, None, fx=shrink, fy=shrink, interpolation=cv2.INTER_LINEAR) if shrink < 1 else image
        rects, scores, _ = detector.run(small, upsample, 0.0)
        hits = [r for r, s in zip(rects, scores, strict=True) if s >= LEGACY_MIN_SCORE][:MAX_FACES]
        if hits:
            boxes = [dlib.rectangle(*(round(v / shrink) for v in (r.left(), r.top(), r.right(), r.bottom())))
                     for r in hits]
            return [np.asarray(network.compute_face_descriptor(image, landmarks(image, b)), np.float32)
                    for b in boxes]
    return []


def new_faces(rgb: np.ndarray) -> list[np.ndarray]:
    return [f.descriptor for f in detect_faces(rgb)]


Detector = Callable[[np.ndarray], list[np.ndarray]]
DETECTORS: dict[str, Detector] = {"MTCNN + dlib (now)": new_faces, "HOG passes (before)": legacy_faces}


# Seeds of the cases (``kinds``). 23 is the development seed. MTCNN runs with its published thresholds; the one
# constant fitted here, how dlib's box sits in MTCNN's (face.TO_DLIB_BOX), was read off the two portraits and 10
# small composites of seed 31. 57 was looked at only to report (it was also held out for the detector before).
DEVELOPMENT_SEED = 23
HELD_OUT_SEED = 57


def kinds(portraits: dict, n: int, seed: int = HELD_OUT_SEED) -> dict[str, list[tuple[str, np.ndarray]]]:
    """(who, pixels) per kind: small faces, turned faces, and frames sampled from a generated clip. ``seed``
    draws sizes and turns; scenes and places come from seeds ``100 * seed + 100 * kind + i`` (n <= 100)."""
    if n > 100:
        raise SystemExit("at most 100 cases per kind: the kinds' scene seeds would overlap")
    rng = np.random.default_rng(seed)
    out: dict[str, list[tuple[str, np.ndarray]]] = {"small (40-60 px)": [], "turned (30-50 deg)": []}
    for i in range(n):
        who = WHO[i % 2]
        small = placed(portraits, who, 100 * seed + i, width=float(rng.uniform(40, 60)),
                       roll=float(rng.uniform(-8, 8)))
        out["small (40-60 px)"].append((who, _pixels(small.data)))
        roll = float(rng.uniform(30, 50)) * (1 if i % 4 < 2 else -1)
        turned = placed(portraits, who, 100 * seed + 100 + i, width=float(rng.uniform(100, 160)), roll=roll)
        out["turned (30-50 deg)"].append((who, _pixels(turned.data)))
    out["video frames"] = video_frames(portraits, n, rng, 100 * seed + 200)
    return out


def video_frames(portraits: dict, n: int, rng: np.random.Generator, first: int) -> list[tuple[str, np.ndarray]]:
    """A generated 640x360 H.264 clip, one composite a second (face 60-120 px, turned up to 20 deg), decoded
    back at 1 frame a second by the path vPDQ uses: what a video's face stage sees."""
    from reclaim.media.video import sample_video
    from reclaim.synthetic.video import write_clip

    who = [WHO[i % 2] for i in range(n)]
    pictures = [Image.open(io.BytesIO(placed(portraits, w, first + i, width=float(rng.uniform(60, 120)),
                                             roll=float(rng.uniform(-20, 20)), size=(640, 360)).data))
                for i, w in enumerate(who)]
    with tempfile.TemporaryDirectory() as tmp:
        clip = write_clip(Path(tmp) / "clip.mp4", pictures, fps=2, size=(640, 360), bit_rate=600_000)
        _, frames = sample_video(clip, "clip.mp4", lambda f: (f.timestamp, f.rgb))
    return [(who[min(len(who) - 1, round(t))], rgb) for t, rgb in frames]


def _pixels(data: bytes) -> np.ndarray:
    return decode_image(data, "photo.jpg").rgb


def recall(portraits: dict, cases: dict[str, list[tuple[str, np.ndarray]]]) -> list[list[object]]:
    """Per kind and detector: right identity, wrong identity, missed, CPU per image."""
    rows = []
    for name, detector in DETECTORS.items():
        enrolled = {w: detector(np.asarray(portraits[w]))[0] for w in WHO}
        for kind, shown in cases.items():
            right = wrong = 0
            cpu = []
            for who, rgb in shown:
                start = time.process_time()
                found = detector(rgb)
                cpu.append(time.process_time() - start)
                nearest = [(descriptor_distance(d, ref), w) for d in found for w, ref in enrolled.items()]
                best = min(nearest, default=(9.0, ""))
                right += best[0] <= SAME_PERSON and best[1] == who
                wrong += best[0] <= SAME_PERSON and best[1] != who
            n = len(shown)
            rows.append([kind, name, f"{right}/{n}", f"{100 * right / n:.0f} %", str(wrong),
                         f"{1000 * np.median(cpu):.0f} ms", 100 * right / n, wrong])
    return rows


def faceless(n: int) -> tuple[list[list[object]], dict[str, float]]:
    """CPU per face-less photo (1280x960) for both detectors, on generated scenes and on real photos shipped
    with scikit-image (coffee, a cat, a rocket...: texture and animal faces, no people)."""
    from skimage import data

    real = [getattr(data, k)() for k in ("coffee", "chelsea", "rocket", "brick", "grass", "gravel", "coins")]
    photos = {"generated scenes": [np.asarray(scene(9000 + i, (1280, 960))) for i in range(n)],
              "scikit-image photos": [np.asarray(Image.fromarray(p).convert("RGB").resize((1280, 960)))
                                      for p in real]}
    rows, medians = [], {}
    for label, images in photos.items():
        for name, detector in DETECTORS.items():
            cpu, false = [], 0
            for rgb in images:
                start = time.process_time()
                false += bool(detector(rgb))
                cpu.append(time.process_time() - start)
            medians[f"{label}|{name}"] = float(np.median(cpu))
            rows.append([label, name, f"{1000 * np.median(cpu):.1f} ms", f"{1000 * max(cpu):.1f} ms",
                         f"{false}/{len(images)}"])
    return rows, medians


def scan_cost(portraits: dict, n: int, workers: int, faces_every: int = 20) -> tuple[list[list[object]], float, float]:
    """Scan ``n`` 1280x960 photos (one in ``faces_every`` a composite, the others face-less) hashes-only and
    with one enrolled identity, alternating twice; (rows, wall ratio, CPU ratio) of the medians."""
    times: dict[str, list[tuple[float, float, int]]] = {"hashes only": [], "1 identity enrolled": []}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "room"
        root.mkdir()
        for i in range(n):
            data = (placed(portraits, WHO[(i // faces_every) % 2], 3000 + i, width=120).data if i % faces_every == 0
                    else jpeg_bytes(scene(3000 + i, (1280, 960)), 85))
            (root / f"photo_{i:04d}.jpg").write_bytes(data)
        enrolled = Path(tmp) / "astronaut.jpg"
        enrolled.write_bytes(jpeg_bytes(portraits["astronaut"], 92))
        for run in range(4):
            label = list(times)[run % 2]
            home = Path(tmp) / f"home{run}"
            env = {**os.environ, "RECLAIM_HOME": str(home), "RECLAIM_IDENTITY_PASSPHRASE": "bench passphrase"}
            if label != "hashes only":
                subprocess.run([sys.executable, "-m", "reclaim", "identity", "enroll", "astro", str(enrolled),
                                "--consent", "bench: a benign public-domain portrait"], env=env, check=True,
                               capture_output=True)
            before = os.times()
            start = time.monotonic()
            out = subprocess.run([sys.executable, "-m", "reclaim", "scan", str(root), "--case", "bench", "--json",
                                  "--workers", str(workers)], env=env, capture_output=True, text=True)
            wall = time.monotonic() - start
            after = os.times()
            if out.returncode not in (0, 1):
                raise SystemExit(f"scan failed: {out.stderr[-2000:]}")
            report = __import__("json").loads(out.stdout.splitlines()[0])
            cpu = (after.children_user + after.children_system) - (before.children_user + before.children_system)
            times[label].append((wall, cpu, len(report["matches"])))
    base_wall = float(np.median([t[0] for t in times["hashes only"]]))
    base_cpu = float(np.median([t[1] for t in times["hashes only"]]))
    rows = []
    for label, runs in times.items():
        wall, cpu = float(np.median([t[0] for t in runs])), float(np.median([t[1] for t in runs]))
        rows.append([label, f"{wall:.1f} s", f"{wall / base_wall:.2f}x", f"{cpu:.1f} s", f"{cpu / base_cpu:.2f}x",
                     f"{runs[-1][2]}"])
    wall_ratio = float(np.median([t[0] for t in times["1 identity enrolled"]])) / base_wall
    cpu_ratio = float(np.median([t[1] for t in times["1 identity enrolled"]])) / base_cpu
    return rows, wall_ratio, cpu_ratio
