"""The self-report page's JavaScript hashes, run in Node (no browser): PDQ against python-threatexchange on
every one of Meta's reference images (../shared/evals/pdq), and MD5 against hashlib.

Python decodes each image (Pillow, as pytx does) and hands the raw RGB to ``hash-cli.mjs``; the JavaScript
never sees the file, so only the hashing is compared. The measured distances are printed (``-s``).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from threatexchange.signal_type.pdq.pdq_hasher import pdq_from_bytes

from reclaim.signals.pdq import hamming
from reclaim_testdata import assert_pdq_agrees

NODE = shutil.which("node")
CLI = Path(__file__).resolve().parents[3] / "src/reclaim/server/static/selfreport/hash-cli.mjs"
pytestmark = pytest.mark.skipif(NODE is None, reason="needs Node (apt-get install nodejs)")


def js(*args: str, data: bytes) -> dict:
    assert NODE is not None
    done = subprocess.run([NODE, str(CLI), *args], input=data, capture_output=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr.decode()
    return json.loads(done.stdout)


def rgb_of(path: Path) -> np.ndarray:
    """The pixels Python hands to the JavaScript: Pillow's RGB decode, as pytx's."""
    with Image.open(path) as image:
        return np.ascontiguousarray(np.asarray(image.convert("RGB")))


def js_pdq(path: Path) -> tuple[str, int]:
    rgb = rgb_of(path)
    height, width = rgb.shape[:2]
    out = js("pdq", str(width), str(height), data=rgb.tobytes())
    return out["pdq"], out["quality"]


def js_pdqs(paths: list[Path], raw: Path) -> list[tuple[str, int]]:
    """``js_pdq`` of each path, in one Node process."""
    args = []
    for k, path in enumerate(paths):
        rgb = rgb_of(path)
        (raw / f"{k}.rgb").write_bytes(rgb.tobytes())
        args += [str(rgb.shape[1]), str(rgb.shape[0]), str(raw / f"{k}.rgb")]
    assert NODE is not None
    done = subprocess.run([NODE, str(CLI), "pdq", *args], capture_output=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr.decode()
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(lines) == len(paths)
    return [(line["pdq"], line["quality"]) for line in lines]


def test_pdq_agrees_with_pytx_on_every_reference_image(evals: Path, tmp_path: Path) -> None:
    images = sorted(p for p in (evals / "pdq" / "images").rglob("*") if p.suffix.lower() in {".jpg", ".jpeg", ".png"})
    assert len(images) >= 36
    distances, quality_gaps = [], []
    for path, (got, quality) in zip(images, js_pdqs(images, tmp_path), strict=True):
        expected, expected_quality = pdq_from_bytes(path.read_bytes())
        distances.append(hamming(expected, got))
        quality_gaps.append(abs(quality - expected_quality))
        print(f"{distances[-1]:3d} bits, quality {quality} vs {expected_quality}: {path.relative_to(evals)}")
    assert_pdq_agrees("JS PDQ", distances, quality_gaps)


def test_pdq_tells_different_images_apart(evals: Path) -> None:
    """Agreement is not a constant: two unrelated reference images are far apart in JS too."""
    folder = evals / "pdq" / "images" / "pdq" / "data"
    bridge, _ = js_pdq(folder / "bridge-mods" / "aaa-orig.jpg")
    pen, _ = js_pdq(folder / "reg-test-input" / "pen-and-coaster.png")
    assert hamming(bridge, pen) > 64


def test_pdq_of_tiny_and_flat_images() -> None:
    """Below 5 pixels on a side the reference answers zeros with quality 0; a flat image has quality 0."""
    assert js("pdq", "4", "4", data=bytes(4 * 4 * 3)) == {"pdq": "0" * 64, "quality": 0}
    assert js("pdq", "64", "64", data=bytes([128]) * (64 * 64 * 3))["quality"] == 0


def test_cli_refuses_short_input() -> None:
    assert NODE is not None
    done = subprocess.run([NODE, str(CLI), "pdq", "10", "10"], input=b"\0" * 10, capture_output=True, check=False)
    assert done.returncode == 2
    assert b"expected 300 bytes" in done.stderr


@pytest.mark.parametrize("size", [0, 1, 55, 56, 63, 64, 65, 1000, 300_001])
def test_md5_matches_hashlib(size: int) -> None:
    data = np.random.default_rng(size).integers(0, 256, size, dtype=np.uint8).tobytes()
    assert js("md5", data=data) == {"md5": hashlib.md5(data).hexdigest()}  # noqa: S324 - the exchanged digest
