"""A face pasted from a JPEG into a lossless picture keeps its own block grid: reported as an edit lead with
both grids; untouched photos, single JPEGs and rescaled pastes (which it cannot see) give no lead."""

from __future__ import annotations

import io

import numpy as np
import pytest

from reclaim.signals import blending
from reclaim.signals.provenance import EDITED, provenance_leads
from reclaim.synthetic.faces import jpeg_paste
from reclaim.synthetic.scenes import jpeg_bytes

pytest.importorskip("dlib", reason="needs reclaim[faces] to find the faces")


def grid_leads(data: bytes) -> list:
    return [lead for lead in provenance_leads(data) if lead.source == "jpeg-grid"]


@pytest.mark.parametrize("seed", [0, 1, 3])
def test_a_face_pasted_from_a_jpeg_into_a_png_is_a_lead(faces: dict, seed: int) -> None:
    portrait = faces["astronaut" if seed % 2 else "grace_hopper"]
    (lead,) = grid_leads(jpeg_paste(portrait, seed, face_quality=45))
    assert lead.kind == EDITED and "keeps a JPEG grid at offset" in lead.evidence
    assert "the rest of the picture has none" in lead.evidence


@pytest.mark.parametrize("name", ["astronaut", "grace_hopper"])
@pytest.mark.parametrize("quality", [None, 95, 75, 50])
def test_untouched_photos_and_single_jpegs_are_not(faces: dict, name: str, quality: int | None) -> None:
    image = faces[name].convert("RGB")
    if quality is None:
        buffer = io.BytesIO()
        image.save(buffer, "PNG")
        data = buffer.getvalue()
    else:
        data = jpeg_bytes(image, quality)
    assert grid_leads(data) == []


def test_what_it_cannot_see_says_nothing(faces: dict) -> None:
    """Rescaled pastes and pastes saved again as a JPEG are beyond this lead (bench/blending.py counts them)."""
    assert grid_leads(jpeg_paste(faces["astronaut"], 1, scale=0.8)) == []
    assert grid_leads(jpeg_paste(faces["astronaut"], 1, final="90")) == []


def test_zero_shares_are_those_of_each_block_transformed_alone() -> None:
    """The stacked product over the mask's rectangle gives the shares of the plain definition: every 8x8 block
    wholly inside the mask, at each of the 64 offsets, through its own 2-D DCT."""
    rng = np.random.default_rng(5)
    luma = rng.normal(128, 40, (90, 110)).astype(np.float32)
    luma[::8] = 128.0  # some coefficients exactly zero, so the threshold matters
    keep = np.zeros(luma.shape, bool)
    keep[13:77, 21:95] = True
    keep[40:50, 30:40] = False  # a hole: blocks over it are left out
    plain = {}
    for dy in range(8):
        for dx in range(8):
            shares = []
            for y in range(dy, luma.shape[0] - 7, 8):
                for x in range(dx, luma.shape[1] - 7, 8):
                    if keep[y : y + 8, x : x + 8].all():
                        coefficients = blending._DCT @ (luma[y : y + 8, x : x + 8] - 128.0) @ blending._DCT.T
                        shares.extend(np.abs(coefficients[blending._HIGH]) < blending.ZERO)
            if len(shares) >= blending.MIN_BLOCKS * int(blending._HIGH.sum()):
                plain[dx, dy] = float(np.mean(shares))
    fast = blending._zero_shares(luma, keep)
    assert fast.keys() == plain.keys() and len(fast) == 64
    assert max(abs(fast[k] - plain[k]) for k in plain) < 1e-3
