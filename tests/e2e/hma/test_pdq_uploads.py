"""An upload's PDQ from ``POST /h/hash`` is python-threatexchange's ``PdqSignal.hash_from_file`` bit for bit (its
quality gate included: under 50 both answer ""), on every image of Meta's PDQ reference data (pytx's
hash_from_file leaves its files open, hence the ResourceWarning filter)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image, UnidentifiedImageError
from threatexchange.signal_type.pdq.signal import PdqSignal


def _images(root: Path) -> list[Path]:
    found = []
    for path in sorted(root.rglob("*")):
        try:
            with Image.open(path):
                found.append(path)
        except (UnidentifiedImageError, IsADirectoryError, OSError):
            continue
    return found


@pytest.mark.filterwarnings("ignore::ResourceWarning", "ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # the hash comes from the decoder, not the
# database (which only checks the key): PostgreSQL would repeat the same 37 decodes
def test_upload_pdq_is_pytx_bit_for_bit_on_metas_reference_images(client: TestClient, evals: Path) -> None:
    images = _images(evals / "pdq" / "images")
    if not images:
        pytest.skip("no reference images")
    differing, low_quality = [], 0
    for path in images:
        theirs = PdqSignal.hash_from_file(path)
        answer = client.post("/h/hash", files={"photo": (path.name, path.read_bytes(), "application/octet-stream")})
        assert answer.status_code == 200, (path, answer.text)
        low_quality += theirs == ""
        if answer.json()["pdq"] != theirs:
            differing.append(path.relative_to(evals))
    assert differing == [], differing
    assert len(images) >= 30 and low_quality < len(images)
