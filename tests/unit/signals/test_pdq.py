"""PDQ agrees with Meta's reference: bit-identical to plain ``pdqhash`` on the full-resolution path, within
10 bits (quality within 5) on the fast path, and on Meta's own reference images (../shared/evals/pdq, never
copied into the repo) within the distance PDQ's README sets for a correct implementation.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pdqhash
import pytest
from PIL import Image, ImageOps

from reclaim.hashing import FileHashes, hash_file
from reclaim.media import decode_image
from reclaim.signals.pdq import hamming, pdq_hex
from reclaim.synthetic.scenes import composite

ASTRONAUT_PDQ = "2d6b1af3a956c529e79ca3d2526fa834d4196c81cedd04de0a26b855fc99b724"
REFERENCE_DISTANCE = 10  # pdq/README.md: quality >= 80 hashes are within 10 bits of the C++ reference


def reference_pdq(data: bytes) -> tuple[str, int]:
    """What python-threatexchange does, written out independently of reclaim: Pillow decodes every pixel,
    EXIF orientation is applied, the image is converted to 8-bit RGB, and pdqhash hashes it."""
    with Image.open(io.BytesIO(data)) as image:
        rgb = np.asarray(ImageOps.exif_transpose(image).convert("RGB"))
    bits, quality = pdqhash.compute(rgb)
    return f"{int(''.join(str(int(b)) for b in bits), 2):064x}", int(quality)


def photo(seed: int, size: tuple[int, int], faces: dict) -> Image.Image:
    """A photo-like picture of any size: a composite upscaled, with sensor-like noise for fine texture."""
    w, h = size
    base = composite(faces[("astronaut", "grace_hopper")[seed % 2]], seed, (640, 480) if w >= h else (480, 640))
    pixels = np.asarray(base.resize(size, Image.BICUBIC)).astype(np.int16)
    pixels += np.random.default_rng(seed).integers(-8, 9, (h, w, 1), dtype=np.int16)
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def photo_file(image: Image.Image, fmt: str, orientation: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    buf = io.BytesIO()
    image.save(buf, fmt, exif=exif, **({"quality": 90} if fmt == "JPEG" else {"compress_level": 1}))
    return buf.getvalue()


# (width, height) as stored, format, EXIF orientation: small to 12 MP, landscape and portrait, upright and turned.
CASES = [
    ((300, 200), "JPEG", 1), ((300, 200), "PNG", 1), ((1024, 768), "JPEG", 6), ((1600, 1200), "JPEG", 1),
    ((1600, 1200), "PNG", 8), ((2000, 1500), "JPEG", 3), ((1080, 1920), "JPEG", 1), ((4000, 3000), "JPEG", 6),
    ((4000, 3000), "PNG", 1), ((3000, 4000), "JPEG", 1),
]


@pytest.mark.parametrize(("size", "fmt", "orientation"), CASES, ids=[f"{w}x{h}-{f}-o{o}" for (w, h), f, o in CASES])
def test_full_path_is_bit_identical_and_fast_path_is_close(
    faces: dict, size: tuple[int, int], fmt: str, orientation: int
) -> None:
    data = photo_file(photo(size[0] + orientation, size, faces), fmt, orientation)
    expected = reference_pdq(data)
    assert pdq_hex(decode_image(data, "photo", fast=False).rgb) == expected
    fast_hash, fast_quality = pdq_hex(decode_image(data, "photo", fast=True).rgb)
    assert hamming(fast_hash, expected[0]) <= 10
    assert abs(fast_quality - expected[1]) <= 5


def test_hex_is_64_lowercase_digits_most_significant_bit_first(faces: dict) -> None:
    rgb = np.asarray(faces["astronaut"])
    value, quality = pdq_hex(rgb)
    assert value == ASTRONAUT_PDQ and quality == 100
    bits, _ = pdqhash.compute(rgb)
    assert value == "".join(f"{int(''.join(map(str, map(int, bits[i:i + 4]))), 2):x}" for i in range(0, 256, 4))
    other = pdq_hex(np.ascontiguousarray(rgb[:, ::-1]))[0]  # mirrored: far away
    other_bits = np.unpackbits(np.frombuffer(bytes.fromhex(other), np.uint8))
    assert hamming(value, other) == int(np.count_nonzero(bits.astype(np.uint8) != other_bits)) > 31


# --- Meta's reference vectors ---------------------------------------------------------------------------------


def primary_rows(evals: Path) -> list[dict[str, str]]:
    with (evals / "pdq" / "expected.csv").open(newline="") as f:
        rows = [row for row in csv.DictReader(f) if row["primary"] == "1"]
    assert len(rows) == 36, "expected.csv changed: one primary row per image, 36 images"
    return rows


@pytest.mark.parametrize("fast", [False, True], ids=["full", "fast"])
def test_meta_reference_images_within_10_bits(evals: Path, fast: bool) -> None:
    """All 36 within 10 bits of the primary (C++ reference) hash, on both paths; the full path is the one
    ``--full-resolution`` and the bit-identity guarantee are about."""
    distances = {}
    for row in primary_rows(evals):
        path = evals / "pdq" / "images" / row["image"]
        value, _ = pdq_hex(decode_image(path.read_bytes(), str(path), fast=fast).rgb)
        distances[row["image"]] = hamming(value, row["hash"])
    assert max(distances.values()) <= REFERENCE_DISTANCE, {k: d for k, d in distances.items() if d > 10}


def test_exif_rotn_1_is_upright_so_honouring_exif_changes_nothing(evals: Path) -> None:
    """We apply EXIF orientation; Meta's exif-rotn expectations ignore it. exif-rotn-1 has orientation 1,
    so both agree there, bit for bit (its -3/-6/-8 siblings, which would differ, are not in evals)."""
    (row,) = [r for r in primary_rows(evals) if r["image"].endswith("exif-rotn-1.jpg")]
    path = evals / "pdq" / "images" / row["image"]
    with Image.open(path) as image:
        assert image.getexif().get(0x0112) == 1
    assert pdq_hex(decode_image(path.read_bytes(), str(path), fast=False).rgb)[0] == row["hash"]


def test_python_threatexchange_images_exact_with_quality(evals: Path) -> None:
    """python-threatexchange's own unit test values (pdqhash + Pillow): exact, quality included."""
    rows = [r for r in primary_rows(evals) if r["source"] == "pytx-unittest"]
    assert len(rows) == 4
    for row in rows:
        path = evals / "pdq" / "images" / row["image"]
        outcome = hash_file(path, fast=False)
        assert isinstance(outcome, FileHashes), outcome
        pdq = outcome.get("pdq")
        assert pdq.value == row["hash"], row["image"]
        if row["quality"]:
            assert pdq.quality == int(row["quality"]), row["image"]


def test_exact_digests_match_python_threatexchange(evals: Path) -> None:
    """threatexchange/signal_type/tests/test_{md5,sha256}_hash.py hash this very file (as sample-b.jpg)."""
    path = evals / "pdq" / "images" / "pdq" / "data" / "reg-test-input" / "dih" / "bridge-1-original.jpg"
    outcome = hash_file(path)
    assert isinstance(outcome, FileHashes)
    assert outcome.get("md5").value == "d35c785545392755e7e4164457657269"
    assert outcome.get("sha256").value == "b5b0799616df52d475a3968dc7e54f1d0724c912244ffa6175bc786375dd7298"
