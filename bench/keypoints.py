"""The keypoint stage (issue 5): recall per repost kind, false matches, and speed against brute force.

Recall set: package photos (scikit-image, Matplotlib's grace_hopper) plus generated photo-like scenes, each
known image reposted as a crop (10-50 % of the area cut away), a banner + watermark, a sticker over 10 %,
a phone screenshot at 0.3-0.6 scale, a rotation of 2-10 degrees either way, a mirror, JPEG q40, and as one
cell of a 2x2 collage. Every query is matched against every known image: a hit on another image counts as
a false match (the share of unrelated query/bank pairs matched).

Held-out set: the keypoint stage's constants were tuned on the recall set above, so recall is also measured,
and reported apart, on images and seeds never used for tuning: other package pictures (scikit-image's stereo
motorcycle, Matplotlib's Jacksboro fault relief, MRI slice, gift-pack photo and logo) and generated scenes of
other seeds, with other variant and collage seeds.

Speed: the same known images padded with generated distractors to banks of 1k and 10k images; queries/s of
the index (search + verification; one query at a time on one core, and two at once on the 2 cores) against
brute force (OpenCV BFMatcher over the same descriptors, same votes and verification, two at once), recall
relative to brute force, and memory per bank image.

    .venv/bin/python bench/keypoints.py [--scenes 40] [--heldout-scenes 45] [--sizes 1000,10000] [--no-record]
"""

from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

sys.path.insert(0, str(Path(__file__).resolve().parent))
from record import Figure, append_section, machine, table  # noqa: E402

from reclaim.index.keypoint_set import Features, KeypointSet, opencv  # noqa: E402
from reclaim.index.keypoints import K, KeypointIndex  # noqa: E402
from reclaim.signals.keypoints import extract_keypoints  # noqa: E402
from reclaim.synthetic.reposts import SINGLE_VARIANTS, collage  # noqa: E402
from reclaim.synthetic.scenes import sample_faces  # noqa: E402

PHOTOS = ("astronaut", "camera", "chelsea", "coffee", "coins", "clock", "immunohistochemistry", "moon", "rocket",
          "cell", "logo", "page", "text", "brick", "grass", "gravel")
HELDOUT_SCENE_SEEDS = 50_000  # tuning used scenes 0..39, distractors 10,000 + bank size (< 50,000)
TUNING_SEEDS, HELDOUT_SEEDS = (1000, 5, 0), (900_000, 6, 5_000)  # variant seed base, collage order, collage seed
TARGET_RECALL, TARGET_FALSE = 0.95, 0.001
CHUNK = 200_000
WORDS = ("lorem", "ipsum", "harbour", "market", "station", "garden", "river", "summit", "plaza", "north")


def package_photos() -> dict[str, Image.Image]:
    from skimage import data

    photos = {}
    for name in PHOTOS:
        pixels = getattr(data, name)()
        photos[name] = Image.fromarray(pixels if pixels.ndim == 3 else np.stack([pixels] * 3, -1)).convert("RGB")
    hubble = data.hubble_deep_field()
    photos["hubble_a"], photos["hubble_b"] = Image.fromarray(hubble[:436, :500]), Image.fromarray(hubble[436:, 500:])
    photos["retina"] = Image.fromarray(data.retina()).resize((640, 640), Image.LANCZOS)
    photos["grace_hopper"] = sample_faces()["grace_hopper"]
    return photos


def heldout_photos() -> dict[str, Image.Image]:
    """Package pictures the constants were never tuned on (all bundled, nothing downloaded)."""
    import gzip

    from matplotlib import cbook, colormaps
    from matplotlib.colors import LightSource
    from skimage import data

    photos = {"motorcycle": Image.fromarray(data.stereo_motorcycle()[0])}
    relief = cbook.get_sample_data("jacksboro_fault_dem.npz")["elevation"]
    shaded = LightSource(315, 45).shade(relief, cmap=colormaps["gist_earth"], vert_exag=0.05, blend_mode="soft")
    photos["jacksboro_relief"] = Image.fromarray((shaded[..., :3] * 255).astype(np.uint8)).resize((806, 688))
    with gzip.open(cbook.get_sample_data("s1045.ima.gz", asfileobj=False)) as fh:
        mri = np.frombuffer(fh.read(), np.uint16).reshape(256, 256)
    photos["mri"] = Image.fromarray((mri / mri.max() * 255).astype(np.uint8)).convert("RGB").resize((512, 512))
    with Image.open(cbook.get_sample_data("Minduka_Present_Blue_Pack.png", asfileobj=False)) as pack:
        photos["gift_pack"] = pack.convert("RGB").resize((512, 512), Image.LANCZOS)
    with Image.open(cbook.get_sample_data("logo2.png", asfileobj=False)) as logo:
        flat = Image.new("RGB", logo.size, "white")
        flat.paste(logo, mask=logo.convert("RGBA").split()[3])
    photos["matplotlib_logo"] = flat
    return photos


def photo_like(seed: int, size: tuple[int, int] = (640, 480)) -> Image.Image:
    """A generated scene with photo-like detail: gradient, shapes, textured patches, signs with text."""
    rng = np.random.default_rng(seed)
    w, h = size
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    base = np.stack([128 + 90 * np.sin(rng.uniform(1, 5) * x / w + rng.uniform(0, 6) + rng.uniform(1, 5) * y / h)
                     for _ in range(3)], -1)
    image = Image.fromarray(np.clip(base, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(image)
    for _ in range(int(rng.integers(25, 45))):
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        cx, cy, r = rng.uniform(0, w), rng.uniform(0, h), rng.uniform(8, 70)
        if rng.random() < 0.5:
            angles = np.sort(rng.uniform(0, 2 * np.pi, int(rng.integers(3, 7))))
            draw.polygon([(cx + r * np.cos(a), cy + r * np.sin(a)) for a in angles], fill=colour)
        else:
            draw.ellipse((cx - r, cy - r * rng.uniform(0.4, 1), cx + r, cy + r), fill=colour,
                         outline=(0, 0, 0) if rng.random() < 0.3 else None)
    for _ in range(int(rng.integers(2, 5))):
        pw, ph = int(rng.integers(40, 160)), int(rng.integers(40, 120))
        noise = rng.integers(0, 256, (ph // 4, pw // 4, 3), dtype=np.uint8)
        image.paste(Image.fromarray(noise).resize((pw, ph), Image.BILINEAR),
                    (int(rng.integers(0, w - pw)), int(rng.integers(0, h - ph))))
    for _ in range(int(rng.integers(2, 5))):
        text = " ".join(rng.choice(WORDS, 2)) + f" {int(rng.integers(10, 999))}"
        draw.text((rng.uniform(0, w * 0.7), rng.uniform(0, h * 0.9)), text, font_size=int(rng.integers(14, 36)),
                  fill=tuple(int(c) for c in rng.integers(0, 256, 3)))
    return image.filter(ImageFilter.GaussianBlur(0.7))


def features(image: Image.Image) -> KeypointSet:
    return extract_keypoints(np.asarray(image.convert("RGB")))


def _distractor(seed: int) -> KeypointSet:
    kset = features(photo_like(seed))
    return KeypointSet(kset.width, kset.height, kset.plain, Features.empty())  # banks use the plain set only


def recall_run(images: dict[str, Image.Image], seeds: tuple[int, int, int] = TUNING_SEEDS
               ) -> tuple[dict[str, list[bool]], int, int, list[tuple], list]:
    """Per kind: found or not for each (query, known image); plus false hits, unrelated pairs, the misses,
    and the queries themselves (kind, true refs, features) for the speed run. ``seeds``: the variants' seed
    base, the collage grouping's and the collages' own."""
    variant_seed, order_seed, collage_seed = seeds
    names = list(images)
    index = KeypointIndex()
    index.add(list(range(len(names))), [features(images[n]) for n in names])
    queries: list[tuple[str, set[int], KeypointSet]] = []
    for i, name in enumerate(names):
        for kind, variant in SINGLE_VARIANTS.items():
            queries.append((kind, {i}, features(variant(images[name], variant_seed + 7 * i))))
    order = np.random.default_rng(order_seed).permutation(len(names))
    for g in range(0, len(order) - 3, 4):
        members = [int(m) for m in order[g:g + 4]]
        grid = collage([images[names[m]] for m in members], collage_seed + g)
        queries.append(("collage", set(members), features(grid)))
    found: dict[str, list[bool]] = {}
    false_hits = pairs = 0
    misses = []
    for kind, truth, kset in queries:
        hits = {h.ref for h in index.query(kset)}
        for ref in sorted(truth):
            found.setdefault(kind, []).append(ref in hits)
            if ref not in hits:
                misses.append((kind, names[ref]))
        false_hits += len(hits - truth)
        pairs += len(names) - len(truth)
    return found, false_hits, pairs, misses, queries


class BruteForce(KeypointIndex):
    """Same votes and verification, but every query descriptor is compared with every bank descriptor."""

    def build(self) -> None:
        super().build()
        refs = [r for r, k in self._known.items() if len(k.features)]
        self._codes = np.concatenate([self._known[r].features.descriptors for r in refs])

    def search(self, descriptors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """k-NN per chunk of the bank (BFMatcher takes < 2**18 rows at once), merged."""
        if self._faiss is None:
            self.build()
        matcher = opencv().BFMatcher(opencv().NORM_HAMMING)
        distances = np.full((len(descriptors), K * (1 + len(self._codes) // CHUNK)), 10**6, np.int32)
        rows = np.full(distances.shape, -1, np.int64)
        for c, start in enumerate(range(0, len(self._codes), CHUNK)):
            for i, found in enumerate(matcher.knnMatch(descriptors, self._codes[start:start + CHUNK], k=K)):
                for j, m in enumerate(found):
                    distances[i, c * K + j], rows[i, c * K + j] = m.distance, start + m.trainIdx
        best = np.argsort(distances, axis=1, kind="stable")[:, :K]
        distances, rows = np.take_along_axis(distances, best, 1), np.take_along_axis(rows, best, 1)
        return distances, np.where(rows >= 0, self._owners[np.clip(rows, 0, None)], -1)


def timed(index: KeypointIndex, queries: list[tuple[str, set[int], KeypointSet]],
          at_once: int = 1) -> tuple[float, list[set[int]]]:
    """Queries/s with ``at_once`` queries in flight (threads: FAISS and OpenCV release the GIL), and the refs
    each query found."""
    index.query(queries[0][2])  # build outside the clock

    def refs(kset: KeypointSet) -> set[int]:
        return {h.ref for h in index.query(kset)}

    start = time.perf_counter()
    with ThreadPoolExecutor(at_once) as pool:
        found = list(pool.map(refs, [kset for _, _, kset in queries]))
    return len(queries) / (time.perf_counter() - start), found


def memory_per_image(index: KeypointIndex) -> float:
    import faiss

    stored = len(faiss.serialize_index_binary(index._faiss))
    arrays = sum(k.features.xy.nbytes + k.features.descriptors.nbytes for k in index._known.values())
    return (stored + arrays + index._owners.nbytes) / len(index)


def speed_run(known: list[KeypointSet], queries: list, size: int, n_brute: int) -> list[object]:
    with ProcessPoolExecutor(2) as pool:
        distractors = list(pool.map(_distractor, range(10_000, 10_000 + size - len(known)), chunksize=64))
    bank = known + distractors
    index, brute = KeypointIndex(), BruteForce()
    for built in (index, brute):
        built.add(list(range(len(bank))), bank)
    start = time.perf_counter()
    index.build()
    build_s = time.perf_counter() - start
    qps, found = timed(index, queries)
    qps2, found2 = timed(index, queries, at_once=2)
    assert found2 == found, "two queries at once must find what one at a time finds"
    sample = queries[:: max(1, len(queries) // n_brute)][:n_brute]
    brute_qps, brute_found = timed(brute, sample, at_once=2)
    index_on_sample = [found[queries.index(q)] for q in sample]
    # Recall relative to brute force: true matches the index found over those brute force found, on the sample.
    # (Not agreement: brute force also matches the odd unrelated image, which the index need not repeat.)
    truths = [t for _, t, _ in sample]
    index_true = sum(len(a & t) for a, t in zip(index_on_sample, truths, strict=True))
    brute_true = sum(len(b & t) for b, t in zip(brute_found, truths, strict=True))
    relative = index_true / max(1, brute_true)
    false = (sum(len(a - t) for a, t in zip(index_on_sample, truths, strict=True)),
             sum(len(b - t) for b, t in zip(brute_found, truths, strict=True)))
    truth = sum(len(f & t) for f, (_, t, _) in zip(found, queries, strict=True)) / sum(len(t) for _, t, _ in queries)
    kind = type(index._faiss).__name__
    return [f"{size:,}", f"{index.descriptor_count():,}", kind, f"{build_s:.1f} s", f"{qps:.1f}", f"{qps2:.1f}",
            f"{brute_qps:.2f} ({len(sample)} q)", f"{qps2 / brute_qps:.0f}x",
            f"{relative:.3f} ({index_true}/{brute_true})", f"{false[0]} / {false[1]}", f"{truth:.3f}",
            f"{memory_per_image(index) / 1024:.0f} kB"]


def recall_section(label: str, images: dict[str, Image.Image], packaged: int, seeds: tuple[int, int, int],
                   size: str) -> tuple[list[str], list[Figure], list]:
    """The recall table of one image set, its figures, and its queries."""
    start = time.perf_counter()
    found, false_hits, pairs, misses, queries = recall_run(images, seeds)
    took = time.perf_counter() - start
    rows = [[kind, f"{sum(v)}/{len(v)}", f"{sum(v) / len(v):.1%}"] for kind, v in found.items()]
    hits, total = sum(sum(v) for v in found.values()), sum(len(v) for v in found.values())
    rows.append(["all", f"{hits}/{total}", f"{hits / total:.1%}"])
    worst = min(found.items(), key=lambda kv: sum(kv[1]) / len(kv[1]))
    worst_rate, false_rate = sum(worst[1]) / len(worst[1]), false_hits / pairs
    body = [f"**{label}:** {len(images)} distinct known images ({packaged} package pictures, "
            f"{len(images) - packaged} generated scenes), {len(queries)} queries, {took:.0f} s. Machine: {machine()}.",
            "", table(["repost kind", "found", "recall"], rows), "",
            f"False matches: {false_hits} of {pairs:,} unrelated query/bank pairs ({false_rate:.3%}; "
            "target <= 0.1 %).", "", "Misses: " + (", ".join(f"{k} of {n}" for k, n in misses) or "none"), ""]
    figures = [Figure(f"{label}: recall, all kinds", f"{hits / total:.1%} ({hits}/{total})", "", None, size),
               Figure(f"{label}: recall, worst kind ({worst[0]})", f"{worst_rate:.1%}",
                      f">= {TARGET_RECALL:.0%} per kind", worst_rate >= TARGET_RECALL, size),
               Figure(f"{label}: false matches of unrelated pairs", f"{false_rate:.3%}", f"<= {TARGET_FALSE:.1%}",
                      false_rate <= TARGET_FALSE, size)]
    print("\n".join(body), flush=True)
    return body, figures, queries


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenes", type=int, default=40)
    parser.add_argument("--heldout-scenes", type=int, default=45)
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--brute-queries", type=int, default=24)
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args(argv)
    opencv()
    import faiss

    faiss.omp_set_num_threads(1)
    tuning = package_photos() | {f"scene_{s}": photo_like(s) for s in range(args.scenes)}
    package = heldout_photos()
    heldout = package | {f"scene_{s}": photo_like(s)
                         for s in range(HELDOUT_SCENE_SEEDS, HELDOUT_SCENE_SEEDS + args.heldout_scenes)}
    size = (f"{len(tuning)} tuning + {len(heldout)} held-out images; banks of {args.sizes.replace(',', ', ')}; "
            f"{args.brute_queries} brute-force queries")
    body, figures, queries = recall_section("Recall set (the images the constants were tuned on)", tuning,
                                            len(tuning) - args.scenes, TUNING_SEEDS, size)
    held_body, held_figures, _ = recall_section("Held-out set (never used for tuning)", heldout, len(package),
                                                HELDOUT_SEEDS, size)
    body += held_body
    figures += held_figures
    known = [features(im) for im in tuning.values()]
    sized = [speed_run(known, queries, int(s), args.brute_queries) for s in args.sizes.split(",")]
    speed = table(["bank images", "descriptors", "index", "build", "queries/s (index, 1 core)",
                   "queries/s (index, 2 cores)", "queries/s (BFMatcher, 2 cores)", "speed-up (2 cores)",
                   "recall vs brute force (sample)", "false matches index / brute (sample)", "recall vs truth",
                   "memory / image"], sized)
    for row in sized:
        bank = int(row[0].replace(",", ""))
        qps, relative = float(row[5]), float(row[8].split()[0])
        judged = bank >= 10_000
        figures += [Figure(f"queries/s at {row[0]} bank images (index, 2 cores)", row[5], ">= 20 (at 10 k)",
                           qps >= 20 if judged else None, size),
                    Figure(f"recall vs brute force at {row[0]} bank images", row[8], ">= 0.98 (at 10 k)",
                           relative >= 0.98 if judged else None, size)]
    body += ["Speed (" + machine() + " after the runs), queries = the recall set's queries (search + "
             "verification; 1 core: one query at a time; 2 cores: two queries at once, on two threads), features "
             "already extracted; extracting a query's features adds ~22 ms at 1024 px). Brute force: "
             "cv2.BFMatcher k-NN over all bank descriptors, same votes and verification, on a sample of the "
             "queries. Both sides on 2 cores.", "", speed]
    print(speed)
    if not args.no_record:
        append_section("bench/keypoints.py (keypoint stage: recall per repost kind, held-out recall, speed vs "
                       "brute force)", "\n".join(body), figures)


if __name__ == "__main__":
    main()
