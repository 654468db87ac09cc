"""Benign face composites with known ground truth, for the face and attribution tests, bench and demo.

A "fake" is a package-shipped portrait's face region (scikit-image's astronaut, Matplotlib's grace_hopper),
edited the ways fakes are (scaled 0.5-2x, turned up to 15 degrees, mirrored, colour-shifted, JPEG 40-90)
and pasted onto a generated scene. Distractor sources are what a victim's photo folder or a seized folder
holds besides the true source: other people's crops, the same background with another face in it, scenes.
Nothing here is explicit; every image is a portrait or a generated scene.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageEnhance, ImageOps

from reclaim.synthetic.scenes import jpeg_bytes, scene

FACE_CROP = (0.2, 0.05, 0.8, 0.65)  # the region a composite lifts: face, hair and some background


@dataclass(frozen=True)
class Edit:
    scale: float = 1.0
    rotate: float = 0.0  # degrees, counter-clockwise
    mirror: bool = False
    colour: float = 1.0  # saturation factor
    quality: int = 85

    @classmethod
    def random(cls, rng: np.random.Generator) -> Edit:
        return cls(float(rng.uniform(0.5, 2.0)), float(rng.uniform(-15, 15)), bool(rng.random() < 0.3),
                   float(rng.uniform(0.6, 1.4)), int(rng.integers(40, 91)))


def face_region(portrait: Image.Image) -> Image.Image:
    w, h = portrait.size
    left, top, right, bottom = (round(f * s) for f, s in zip(FACE_CROP, (w, h, w, h), strict=True))
    return portrait.crop((left, top, right, bottom))


def fake(portrait: Image.Image, seed: int, edit: Edit = Edit(), size: tuple[int, int] = (1024, 800),
         background: Image.Image | None = None) -> bytes:
    """JPEG bytes of the portrait's face region, edited (scale relative to the portrait), pasted at a random
    place on ``background`` (default: a generated scene of ``size``)."""
    rng = np.random.default_rng(seed)
    crop = face_region(portrait)
    crop = crop.resize((round(crop.width * edit.scale), round(crop.height * edit.scale)), Image.Resampling.LANCZOS)
    if edit.mirror:
        crop = ImageOps.mirror(crop)
    crop = ImageEnhance.Color(crop).enhance(edit.colour)
    mask = Image.new("L", crop.size, 255)
    if edit.rotate:
        crop = crop.rotate(edit.rotate, Image.Resampling.BICUBIC, expand=True)
        mask = mask.rotate(edit.rotate, Image.Resampling.BICUBIC, expand=True)
    background = scene(seed, size) if background is None else background.convert("RGB")
    size = background.size
    x = int(rng.uniform(0, max(1, size[0] - crop.width)))
    y = int(rng.uniform(0, max(1, size[1] - crop.height)))
    background.paste(crop, (x, y), mask)
    return jpeg_bytes(background, edit.quality)


def swapped(portrait: Image.Image, other: Image.Image) -> Image.Image:
    """A near-duplicate of ``portrait`` (same background and body) with ``other``'s face region in it."""
    out = portrait.copy()
    donor = face_region(other)
    x0, y0, x1, y1 = (round(f * s) for f, s in zip(FACE_CROP, (*portrait.size, *portrait.size), strict=True))
    inner = donor.resize((round((x1 - x0) * 0.7), round((y1 - y0) * 0.7)), Image.Resampling.LANCZOS)
    out.paste(inner, (x0 + (x1 - x0 - inner.width) // 2, y0 + (y1 - y0 - inner.height) // 3))
    return out


def distractors(portraits: dict[str, Image.Image], n: int, seed: int = 0) -> dict[str, bytes]:
    """``n`` photos that are not the source of any fake: each portrait's background with the other's face,
    recrops likewise swapped, and scenes."""
    rng = np.random.default_rng(seed)
    names = list(portraits)
    out: dict[str, bytes] = {}
    for i in range(n):
        kind = i % 3
        a, b = names[i % len(names)], names[(i + 1) % len(names)]
        if kind == 0:
            image = swapped(portraits[a], portraits[b])
            name = f"distractor_{i:02d}_{a}_with_{b}_face.jpg"
        elif kind == 1:
            w, h = portraits[b].size
            dx, dy = int(rng.uniform(0, w * 0.3)), int(rng.uniform(0, h * 0.3))
            recrop = portraits[b].crop((dx, dy, dx + int(w * 0.7), dy + int(h * 0.7))).resize((w, h))
            image = swapped(recrop, portraits[a])
            name = f"distractor_{i:02d}_{b}_recrop_with_{a}_face.jpg"
        else:
            image = scene(5000 + i, (640, 480))
            name = f"distractor_{i:02d}_scene.jpg"
        out[name] = jpeg_bytes(image, 90)
    return out


def decode(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data)).convert("RGB")


def jpeg_paste(portrait: Image.Image, seed: int, *, face_quality: int = 45, final: str = "png",
               scale: float | None = None, size: tuple[int, int] = (640, 480)) -> bytes:
    """A benign cut-and-paste swap: the portrait's face region, saved as a JPEG at ``face_quality`` (as a face
    taken from a posted photo is), optionally rescaled, pasted at a random spot of a generated scene, and the
    result saved as ``final`` ("png", or a JPEG quality as text, e.g. "90")."""
    rng = np.random.default_rng(seed)
    width, height = portrait.size
    face = portrait.convert("RGB").crop((width // 4, height // 10, width // 4 + 200, height // 10 + 230))
    face = Image.open(io.BytesIO(jpeg_bytes(face, face_quality))).convert("RGB")
    if scale:
        face = face.resize((round(face.width * scale), round(face.height * scale)), Image.Resampling.BILINEAR)
    picture = scene(seed, size).convert("RGB")
    spot = (int(rng.integers(8, size[0] - face.width - 8)), int(rng.integers(8, size[1] - face.height - 8)))
    picture.paste(face, spot)
    if final == "png":
        out = io.BytesIO()
        picture.save(out, "PNG")
        return out.getvalue()
    return jpeg_bytes(picture, int(final))


# Where dlib's HOG detector puts each sample portrait's face (x, y, w, h), so a composite knows its true face.
FACE_BOXES = {"astronaut": (179, 83, 87, 87), "grace_hopper": (161, 137, 215, 215)}


@dataclass(frozen=True)
class Placed:
    """A composite with its ground truth: JPEG bytes and where the face's centre is, how wide, how turned."""

    data: bytes
    centre: tuple[float, float]
    width: float
    roll: float


def placed(portraits: dict[str, Image.Image], who: str, seed: int, *, width: float, roll: float = 0.0,
           size: tuple[int, int] = (1280, 960), quality: int = 88) -> Placed:
    """``who``'s face made ``width`` px wide (as the detector measures it), turned ``roll`` degrees
    counter-clockwise, pasted at a random spot of a generated scene: small faces (group photos, thumbnails)
    and turned ones (a tilted head, a rotated repost)."""
    rng = np.random.default_rng(seed)
    x, y, w, h = FACE_BOXES[who]
    cx, cy = x + w / 2, y + h / 2
    half = 1.1 * w  # face, hair and a little background, as a face-swap pastes
    crop = portraits[who].crop((round(cx - half), round(cy - half), round(cx + half), round(cy + half)))
    side = max(8, round(2 * half * width / w))
    crop = crop.resize((side, side), Image.Resampling.LANCZOS)
    mask = Image.new("L", crop.size, 255)
    if roll:
        crop = crop.rotate(roll, Image.Resampling.BICUBIC, expand=True)
        mask = mask.rotate(roll, Image.Resampling.BICUBIC, expand=True)
    background = scene(seed, size)
    left = int(rng.uniform(0, max(1, size[0] - crop.width)))
    top = int(rng.uniform(0, max(1, size[1] - crop.height)))
    background.paste(crop, (left, top), mask)
    return Placed(jpeg_bytes(background, quality), (left + crop.width / 2, top + crop.height / 2), width, roll)
