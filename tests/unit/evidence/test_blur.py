"""Blurred previews: small, metadata-free JPEGs in which detail is gone but the composition remains."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from reclaim.errors import UserError
from reclaim.evidence import blurred_thumbnail
from reclaim.synthetic.scenes import scene


def detail(image: Image.Image) -> float:
    """Mean absolute Laplacian of the grey image: high for edges and texture, near zero when smooth."""
    g = np.asarray(image.convert("L"), dtype=np.float32)
    lap = 4 * g[1:-1, 1:-1] - g[:-2, 1:-1] - g[2:, 1:-1] - g[1:-1, :-2] - g[1:-1, 2:]
    return float(np.abs(lap).mean())


def textured(size: tuple[int, int] = (800, 600)) -> Image.Image:
    """A scene with sharp fine structure (checkerboard stripes), where any leftover detail would show."""
    base = np.asarray(scene(seed=7, size=size), dtype=np.int16)
    yy, xx = np.mgrid[0 : size[1], 0 : size[0]]
    checker = (((yy // 4) + (xx // 4)) % 2 * 80 - 40)[..., None]
    return Image.fromarray(np.clip(base + checker, 0, 255).astype(np.uint8))


def decode(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    assert image.format == "JPEG"
    return image.convert("RGB")


def test_detail_is_removed_but_colours_and_layout_remain() -> None:
    original = textured()
    plain = original.copy()
    plain.thumbnail((256, 256))
    blurred = decode(blurred_thumbnail(original))
    assert blurred.size == plain.size == (256, 192)
    assert detail(blurred) < 0.05 * detail(plain)
    mean_diff = np.abs(np.asarray(blurred, np.float32).mean((0, 1)) - np.asarray(plain, np.float32).mean((0, 1)))
    assert mean_diff.max() < 8  # still recognisably the same item: overall colour kept
    stronger = decode(blurred_thumbnail(original, strength=2.0))
    assert detail(stronger) <= detail(blurred)


def test_metadata_never_travels() -> None:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {2: (37.0, 33.0, 0.0)}  # GPS latitude
    source = io.BytesIO()
    textured((400, 300)).save(source, "JPEG", exif=exif, comment=b"posted by someone")
    with Image.open(io.BytesIO(source.getvalue())) as with_meta:
        out = blurred_thumbnail(with_meta, max_side=128)
    thumb = Image.open(io.BytesIO(out))
    assert not thumb.getexif() and "comment" not in thumb.info and b"PhoneMaker" not in out
    assert max(thumb.size) == 128


def test_arrays_and_modes_are_accepted() -> None:
    rgb = np.asarray(textured((300, 500)))
    assert max(decode(blurred_thumbnail(rgb, max_side=64)).size) == 64
    assert decode(blurred_thumbnail(rgb[..., 0])).size == (154, 256)  # greyscale, portrait
    rgba = np.dstack([rgb, np.full(rgb.shape[:2], 255, np.uint8)])
    assert decode(blurred_thumbnail(rgba, max_side=100)).size == (60, 100)
    tiny = decode(blurred_thumbnail(Image.new("P", (3, 2))))
    assert tiny.size == (3, 2)  # never upscaled


def test_bad_arguments() -> None:
    image = textured((64, 64))
    with pytest.raises(UserError, match="strength must be between"):
        blurred_thumbnail(image, strength=0.5)
    with pytest.raises(UserError, match="at least 16"):
        blurred_thumbnail(image, max_side=8)
    with pytest.raises(UserError, match="uint8 array"):
        blurred_thumbnail(np.zeros((4, 4, 3), np.float64))
    with pytest.raises(UserError, match="empty image"):
        blurred_thumbnail(np.zeros((0, 4, 3), np.uint8))
