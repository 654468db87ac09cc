"""A face pasted from a JPEG into a lossless picture keeps its own block grid: reported as an edit lead with
both grids; untouched photos, single JPEGs and rescaled pastes (which it cannot see) give no lead."""

from __future__ import annotations

import io

import pytest

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
