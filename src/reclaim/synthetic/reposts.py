"""Benign stand-ins for how reposters change an image: crops, banners and watermarks, stickers, phone
screenshots, collages, small rotations, mirrors and heavy JPEG. Each takes a seed, so sets are reproducible.

Used by the demo, the keypoint tests and bench/keypoints.py; everything drawn here is shapes and text.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from PIL import Image, ImageDraw, ImageOps

from reclaim.synthetic.scenes import reencode

Variant = Callable[[Image.Image, int], Image.Image]


def crop_area(image: Image.Image, seed: int, removed: tuple[float, float] = (0.10, 0.50)) -> Image.Image:
    """Cut away a random 10-50 % of the area, keeping a window of the image's aspect ratio (roughly)."""
    rng = np.random.default_rng(seed)
    keep = 1 - rng.uniform(*removed)
    aspect = rng.uniform(0.8, 1.25)
    w = min(image.width, round(image.width * np.sqrt(keep) * aspect))
    h = min(image.height, round(image.width * image.height * keep / w))
    x, y = int(rng.integers(0, image.width - w + 1)), int(rng.integers(0, image.height - h + 1))
    return image.crop((x, y, x + w, y + h))


def banner(image: Image.Image, seed: int) -> Image.Image:
    """A channel banner strip with text, plus a half-transparent watermark across the middle."""
    rng = np.random.default_rng(seed)
    out = image.convert("RGBA")
    overlay = Image.new("RGBA", out.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    strip = round(image.height * rng.uniform(0.08, 0.16))
    top = 0 if rng.random() < 0.5 else image.height - strip
    draw.rectangle((0, top, image.width, top + strip), fill=(*rng.integers(0, 80, 3).tolist(), 255))
    size = max(10, strip // 2)
    draw.text((size, top + strip // 4), f"@channel_{seed % 997} join now", fill=(255, 255, 255, 255),
              font_size=size)
    draw.text((image.width // 6, image.height // 2), f"t.me/repost{seed % 89}", fill=(255, 255, 255, 110),
              font_size=max(12, image.height // 10))
    return Image.alpha_composite(out, overlay).convert("RGB")


def sticker(image: Image.Image, seed: int, area: float = 0.10) -> Image.Image:
    """An opaque round sticker (an emoji stand-in) covering ``area`` of the image."""
    rng = np.random.default_rng(seed)
    out = image.copy()
    r = round(np.sqrt(area * image.width * image.height / np.pi))
    cx, cy = int(rng.integers(r, max(r + 1, image.width - r))), int(rng.integers(r, max(r + 1, image.height - r)))
    draw = ImageDraw.Draw(out)
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=(250, 200, 40))
    for dx in (-r // 3, r // 3):
        draw.ellipse((cx + dx - r // 8, cy - r // 3, cx + dx + r // 8, cy - r // 12), fill=(60, 40, 20))
    draw.arc((cx - r // 2, cy - r // 4, cx + r // 2, cy + r // 2), 20, 160, fill=(60, 40, 20), width=max(2, r // 12))
    return out


def screenshot(image: Image.Image, seed: int, scale: tuple[float, float] = (0.3, 0.6)) -> Image.Image:
    """The image scaled by 0.3-0.6 inside a phone chat screen: status bar, header, bubbles, input bar."""
    rng = np.random.default_rng(seed)
    s = rng.uniform(*scale)
    shown = image.resize((max(8, round(image.width * s)), max(8, round(image.height * s))), Image.Resampling.LANCZOS)
    width = round(shown.width / 0.8)
    height = round(width * 19.5 / 9)
    dark = rng.random() < 0.5
    screen = Image.new("RGB", (width, height), (18, 18, 22) if dark else (236, 229, 221))
    draw = ImageDraw.Draw(screen)
    bar, ink = (40, 40, 48) if dark else (80, 130, 170), (230, 230, 230) if dark else (30, 30, 30)
    unit = max(6, width // 30)
    draw.rectangle((0, 0, width, 2 * unit), fill=(0, 0, 0))
    draw.text((unit, unit // 3), "9:41", fill=(255, 255, 255), font_size=unit)
    draw.rectangle((0, 2 * unit, width, 6 * unit), fill=bar)
    draw.text((3 * unit, 3 * unit), "Group chat", fill=(255, 255, 255), font_size=int(1.4 * unit))
    y = 7 * unit
    for _ in range(int(rng.integers(1, 3))):
        draw.rounded_rectangle((unit, y, width * 0.7, y + 3 * unit), radius=unit, fill=bar)
        draw.text((2 * unit, y + unit // 2), "look at this", fill=ink, font_size=unit)
        y += 4 * unit
    x = (width - shown.width) // 2
    y = min(y, height - shown.height - 5 * unit)
    draw.rounded_rectangle((x - unit // 2, y - unit // 2, x + shown.width + unit // 2, y + shown.height + 2 * unit),
                           radius=unit, fill=bar)
    screen.paste(shown, (x, y))
    draw.rectangle((0, height - 4 * unit, width, height), fill=bar)
    return screen


def collage(images: Sequence[Image.Image], seed: int) -> Image.Image:
    """A 2x2 grid of four images, each resized into a cell with a thin border."""
    rng = np.random.default_rng(seed)
    cell_w, cell_h = images[0].width // 2, images[0].height // 2
    gap = int(rng.integers(0, 8))
    out = Image.new("RGB", (2 * cell_w + 3 * gap, 2 * cell_h + 3 * gap), (255, 255, 255))
    for i, image in enumerate(images[:4]):
        cell = ImageOps.fit(image, (cell_w, cell_h), Image.Resampling.LANCZOS)
        out.paste(cell, (gap + (i % 2) * (cell_w + gap), gap + (i // 2) * (cell_h + gap)))
    return out


def rotate(image: Image.Image, seed: int, max_degrees: float = 10.0) -> Image.Image:
    angle = float(np.random.default_rng(seed).uniform(2, max_degrees)) * (1 if seed % 2 else -1)
    return image.rotate(angle, Image.Resampling.BICUBIC, expand=True, fillcolor=(0, 0, 0))


def mirror(image: Image.Image, seed: int) -> Image.Image:
    return ImageOps.mirror(image)


def jpeg_q40(image: Image.Image, seed: int) -> Image.Image:
    return reencode(40)(image)


SINGLE_VARIANTS: dict[str, Variant] = {
    "crop": crop_area, "banner": banner, "sticker": sticker, "screenshot": screenshot,
    "rotate": rotate, "mirror": mirror, "jpeg_q40": jpeg_q40,
}
"""Variants of one image; ``collage`` takes four."""
