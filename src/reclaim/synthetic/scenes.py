"""Benign synthetic media for the demo, tests and benchmarks — never explicit content.

Faces come only from images shipped inside packages (scikit-image's astronaut, Matplotlib's grace_hopper);
an "abusive" image is simulated by pasting such a face onto a generated scene. Scenes are smooth random
compositions (gradients, discs, bars, mild noise) so PDQ sees photo-like structure with quality 100.
"""

from __future__ import annotations

import functools
import importlib.util
import io
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, ImageChops, ImageDraw, ImageEnhance, ImageFilter, ImageOps

from reclaim.errors import UserError

Edit = Callable[[Image.Image], Image.Image]


def sample_faces() -> dict[str, Image.Image]:
    """The two benign public-domain portraits shipped with scikit-image and Matplotlib, read from the packages'
    folders (the same pixels as ``skimage.data.astronaut()``; importing skimage.io and Matplotlib took 1.4 s)."""
    files = {"astronaut": _package_file("skimage", "data", "astronaut.png"),
             "grace_hopper": _package_file("matplotlib", "mpl-data", "sample_data", "grace_hopper.jpg")}
    faces = {}
    for name, path in files.items():
        with Image.open(path) as image:
            faces[name] = image.convert("RGB")
    return faces


def _package_file(package: str, *parts: str) -> Path:
    spec = importlib.util.find_spec(package)
    path = Path(next(iter(spec.submodule_search_locations or ())), *parts) if spec else None
    if path is None or not path.is_file():
        raise UserError(f"the demo needs sample images ({package} has no {'/'.join(parts)}): "
                        "pip install 'reclaim[demo]'")
    return path


def scene(seed: int, size: tuple[int, int] = (640, 480)) -> Image.Image:
    """A reproducible, smooth, photo-like RGB scene (each disc is drawn within its bounding box only: the
    pixels are those of drawing it over the whole frame, in half the time)."""
    rng = np.random.default_rng(seed)
    w, h = size
    y = np.arange(h, dtype=np.float32)[:, None]
    x = np.arange(w, dtype=np.float32)[None, :]
    img = np.empty((h, w, 3), np.float32)
    for c in range(3):
        a, b = rng.uniform(-1, 1, 2)
        img[..., c] = 128 + 60 * np.sin(a * x / w * 6 + rng.uniform(0, 6)) * np.cos(b * y / h * 6)
    for _ in range(rng.integers(6, 14)):
        cx, cy, r = rng.uniform(0, w), rng.uniform(0, h), rng.uniform(0.05, 0.3) * min(w, h)
        x0, x1 = max(0, int(np.floor(cx - r))), min(w, int(np.ceil(cx + r)) + 1)
        y0, y1 = max(0, int(np.floor(cy - r))), min(h, int(np.ceil(cy + r)) + 1)
        mask = ((x[:, x0:x1] - cx) ** 2 + (y[y0:y1] - cy) ** 2) < r * r
        box = img[y0:y1, x0:x1]
        box[mask] = box[mask] * 0.4 + rng.uniform(0, 255, 3) * 0.6
    for _ in range(rng.integers(2, 6)):
        x0, y0 = int(rng.uniform(0, w)), int(rng.uniform(0, h))
        img[y0 : y0 + int(rng.uniform(5, h / 4)), x0 : x0 + int(rng.uniform(5, w / 3))] = rng.uniform(0, 255, 3)
    img += rng.normal(0, 4, img.shape)
    return Image.fromarray(np.clip(img, 0, 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(1.2))


def photo_scene(seed: int, size: tuple[int, int] = (1280, 960)) -> Image.Image:
    """A photo-sized scene ten times faster than ``scene`` at that size: ``scene`` at 1/8 scale, enlarged, with
    sharp shapes and sensor-like grain drawn at full size so detectors and hashes see edges and texture."""
    rng = np.random.default_rng(seed)
    w, h = size
    image = scene(seed, (max(24, w // 8), max(24, h // 8))).resize(size, Image.Resampling.BILINEAR)
    draw = ImageDraw.Draw(image)
    for _ in range(int(rng.integers(8, 20))):
        x0, y0 = int(rng.integers(0, w)), int(rng.integers(0, h))
        box = (x0, y0, x0 + int(rng.integers(10, max(11, w // 3))), y0 + int(rng.integers(10, max(11, h // 3))))
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        shape = int(rng.integers(0, 3))
        if shape == 0:
            draw.ellipse(box, fill=colour)
        elif shape == 1:
            draw.rectangle(box, outline=colour, width=int(rng.integers(2, 12)))
        else:
            draw.line(box, fill=colour, width=int(rng.integers(2, 10)))
    dx, dy = int(rng.integers(0, w)), int(rng.integers(0, h))
    return ImageChops.add(image, _grain(size).crop((dx, dy, dx + w, dy + h)), offset=-8)


@functools.cache
def _grain(size: tuple[int, int]) -> Image.Image:
    """Noise of +-8 levels (stored as 0-16) twice the size each way, made once per process; each scene adds a
    window of it."""
    w, h = size
    return Image.fromarray(np.random.default_rng(0).integers(0, 17, (2 * h, 2 * w, 3), dtype=np.uint8))


def composite(face: Image.Image, seed: int, size: tuple[int, int] = (640, 480)) -> Image.Image:
    """A benign stand-in for a deepfake: a portrait's face region pasted onto a generated scene."""
    rng = np.random.default_rng(seed)
    background = scene(seed, size)
    fw, fh = face.size
    crop = face.crop((int(fw * 0.2), int(fh * 0.05), int(fw * 0.8), int(fh * 0.65)))
    scale = rng.uniform(0.35, 0.55) * size[1] / crop.height
    crop = crop.resize((max(1, int(crop.width * scale)), max(1, int(crop.height * scale))), Image.Resampling.LANCZOS)
    x = int(rng.uniform(0, size[0] - crop.width))
    y = int(rng.uniform(0, size[1] - crop.height))
    background.paste(crop, (x, y))
    return background


def jpeg_bytes(image: Image.Image, quality: int = 90) -> bytes:
    buf = io.BytesIO()
    image.convert("RGB").save(buf, "JPEG", quality=quality)
    return buf.getvalue()


def reencode(quality: int) -> Edit:
    return lambda im: Image.open(io.BytesIO(jpeg_bytes(im, quality))).convert("RGB")


def resize(factor: float) -> Edit:
    return lambda im: im.resize((max(8, round(im.width * factor)), max(8, round(im.height * factor))),
                                Image.Resampling.LANCZOS)


def brightness(factor: float) -> Edit:
    return lambda im: ImageEnhance.Brightness(im).enhance(factor)


def contrast(factor: float) -> Edit:
    return lambda im: ImageEnhance.Contrast(im).enhance(factor)


def greyscale() -> Edit:
    return lambda im: ImageOps.grayscale(im).convert("RGB")


def blur(radius: float) -> Edit:
    return lambda im: im.filter(ImageFilter.GaussianBlur(radius))


def crop_each_side(fraction: float) -> Edit:
    def edit(im: Image.Image) -> Image.Image:
        dx, dy = round(im.width * fraction), round(im.height * fraction)
        return im.crop((dx, dy, im.width - dx, im.height - dy))

    return edit


def banner(fraction: float) -> Edit:
    """A solid bar across the bottom, like a channel watermark strip."""

    def edit(im: Image.Image) -> Image.Image:
        out = im.copy()
        out.paste((20, 20, 20), (0, im.height - round(im.height * fraction), im.width, im.height))
        return out

    return edit


GLOBAL_EDITS: dict[str, Edit] = {
    "jpeg_q30": reencode(30), "jpeg_q50": reencode(50), "jpeg_q75": reencode(75), "jpeg_q95": reencode(95),
    "resize_0.3": resize(0.3), "resize_0.5": resize(0.5), "resize_1.5": resize(1.5), "resize_2.0": resize(2.0),
    "bright_+20": brightness(1.2), "bright_-20": brightness(0.8),
    "contrast_+20": contrast(1.2), "contrast_-20": contrast(0.8),
    "greyscale": greyscale(), "blur_1": blur(1.0),
}
"""The global edits re-uploads go through, which PDQ is expected to survive (issue 3's robustness set)."""

LOCAL_EDITS: dict[str, Edit] = {
    "crop_2pct": crop_each_side(0.02), "crop_4pct": crop_each_side(0.04), "crop_10pct": crop_each_side(0.10),
    "banner_7pct": banner(0.07), "banner_15pct": banner(0.15),
}
"""Crops and overlays, which a global hash like PDQ is known to miss (measured, not required)."""
