"""``reclaim match --explain OUT.png``: why the keypoint stage says a query contains a known image.

Left, one panel per matched known image; right, the query. Lines join each pair of inlier keypoints, the
known image's outline is drawn where it sits in the query, and the visible part is boxed on the known side.
Banks hold hashes only, so a known image is drawn as its keypoints on a grey panel of its size, never as
pixels. The query (possibly abusive media) is blurred unless ``--unblur`` is given.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from reclaim.errors import UnreadableFile
from reclaim.index.geometry import Verification
from reclaim.matching.keypoints import KeypointMatch

COLOURS = ((230, 60, 60), (60, 160, 230), (80, 200, 90), (240, 180, 40), (190, 90, 220), (40, 200, 200))
BLUR_RADIUS = 8


def draw_explanation(query_rgb: np.ndarray, query_size: tuple[int, int], matches: Sequence[KeypointMatch],
                     out: Path, *, blur: bool = True) -> Path:
    """Write the picture to ``out``; ``query_size`` is the bounded copy the keypoint positions refer to."""
    query = Image.fromarray(query_rgb).convert("RGB").resize(query_size, Image.Resampling.LANCZOS)
    if blur:
        query = query.filter(ImageFilter.GaussianBlur(BLUR_RADIUS))
    verified = [(f"{m.bank}/{m.content_id}", m.verification) for m in matches if m.verification]
    left = max((v.known_size[0] for _, v in verified), default=0)
    height = max(query.height, sum(v.known_size[1] + 8 for _, v in verified))
    canvas = Image.new("RGB", (left + 16 + query.width, height), (255, 255, 255))
    canvas.paste(query, (left + 16, 0))
    draw = ImageDraw.Draw(canvas)
    top = 0
    for i, (label, verification) in enumerate(verified):
        _draw_match(draw, label, verification, COLOURS[i % len(COLOURS)], top, left + 16, query.size)
        top += verification.known_size[1] + 8
    try:
        canvas.save(out, "PNG")
    except OSError as exc:
        raise UnreadableFile(f"{out}: cannot write the explanation ({exc.strerror or exc})") from exc
    return out


def _draw_match(draw: ImageDraw.ImageDraw, label: str, v: Verification, colour: tuple[int, int, int], top: int,
                shift: int, query_size: tuple[int, int]) -> None:
    kw, kh = v.known_size
    draw.rectangle((0, top, kw - 1, top + kh - 1), fill=(200, 200, 200), outline=colour, width=2)
    x0, y0, x1, y1 = v.transform.known_region
    draw.rectangle((x0 * kw, top + y0 * kh, x1 * kw, top + y1 * kh), outline=colour, width=3)
    draw.text((6, top + 4), f"{label}: {v.inliers} inliers", fill=(0, 0, 0))
    qw, qh = query_size
    draw.polygon([(shift + x * qw, y * qh) for x, y in v.transform.outline], outline=colour, width=3)
    for (kx, ky), (qx, qy) in zip(v.known_points, v.query_points, strict=True):
        draw.line((kx, top + ky, shift + qx, qy), fill=colour, width=1)
        draw.ellipse((kx - 2, top + ky - 2, kx + 2, top + ky + 2), fill=colour)
