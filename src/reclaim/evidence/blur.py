"""Blurred previews: the only form in which abusive media is shown by default (DESIGN.md, privacy rule 3).

A reviewer must be able to tell "this is the item we mean" (layout, colours, rough shapes) without the image
being viewable: the thumbnail is pixelated into coarse blocks and then Gaussian-blurred, which removes faces
and body detail while keeping the composition. Pixelation alone can be partly undone by super-resolution and
blur alone leaves recognisable silhouettes at low strength; together, at the default strength, neither is
useful. The output is a fresh JPEG with no metadata (EXIF, GPS and comments of the original never travel).
Showing an unblurred view is the caller's explicit, custody-logged action; nothing here does it.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageFilter, ImageOps

from reclaim.errors import UserError

DEFAULT_MAX_SIDE = 256
BLOCKS_ACROSS = 16  # at strength 1: the long side is reduced to this many blocks
BLUR_FRACTION = 1 / 40  # at strength 1: Gaussian radius as a fraction of the thumbnail's long side


def blurred_thumbnail(
    image: Image.Image | np.ndarray, max_side: int = DEFAULT_MAX_SIDE, strength: float = 1.0, quality: int = 80
) -> bytes:
    """JPEG bytes of a pixelated + blurred thumbnail no larger than ``max_side`` on its long side.

    ``strength`` scales both effects: 1.0, the default for every UI and report, is also the weakest allowed
    (at 0.5 the astronaut test portrait is already recognisable); 2.0 is coarser.
    """
    if not 1 <= strength <= 8:
        raise UserError(f"blur strength must be between 1 and 8, got {strength}")
    if max_side < 16:
        raise UserError(f"thumbnail max_side must be at least 16 pixels, got {max_side}")
    rgb = _as_rgb(image)
    rgb.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    w, h = rgb.size
    blocks = max(2, round(BLOCKS_ACROSS / strength))
    scale = blocks / max(w, h)
    small = rgb.resize((max(1, round(w * scale)), max(1, round(h * scale))), Image.Resampling.BOX)
    coarse = small.resize((w, h), Image.Resampling.NEAREST)
    blurred = coarse.filter(ImageFilter.GaussianBlur(radius=max(w, h) * BLUR_FRACTION * strength))
    out = io.BytesIO()
    blurred.save(out, "JPEG", quality=quality, optimize=True)
    return out.getvalue()


def _as_rgb(image: Image.Image | np.ndarray) -> Image.Image:
    """A fresh RGB image holding pixels only: Pillow would otherwise carry EXIF and comments into the JPEG."""
    if isinstance(image, Image.Image):
        image = np.asarray(ImageOps.exif_transpose(image).convert("RGB"))
    array = np.asarray(image)
    if array.dtype != np.uint8 or array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (3, 4)):
        raise UserError(f"expected an HxW or HxWx3/4 uint8 array, got {array.dtype} {array.shape}")
    if array.size == 0:
        raise UserError("cannot make a thumbnail of an empty image")
    return Image.fromarray(array).convert("RGB")
