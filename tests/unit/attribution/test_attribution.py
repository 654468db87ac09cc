"""Attribution on benign composites: the true source photo wins over distractors, transforms are recovered,
mirrored pastes are found, and the overlay blurs everything below the face."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("cv2", reason="needs reclaim[faces]")
pytest.importorskip("dlib", reason="needs reclaim[faces]")

from reclaim.attribution import draw_overlay, photo_features, rank_sources, suspect_features  # noqa: E402
from reclaim.attribution.overlay import below_face_blurred  # noqa: E402
from reclaim.media import decode_image  # noqa: E402
from reclaim.synthetic.faces import Edit, distractors, fake  # noqa: E402
from reclaim.synthetic.scenes import jpeg_bytes  # noqa: E402


@pytest.fixture(scope="module")
def sources(faces: dict) -> list:
    photos = {f"{name}.jpg": jpeg_bytes(image, 92) for name, image in faces.items()}
    photos.update(distractors(faces, 6))
    return [photo_features(name, *_decoded(data)) for name, data in photos.items()]


def _decoded(data: bytes) -> tuple[np.ndarray, float]:
    image = decode_image(data, "x")
    return image.rgb, image.scale


@pytest.mark.parametrize(("who", "edit"), [
    ("astronaut", Edit(scale=1.4, rotate=10.0, quality=60)),
    ("grace_hopper", Edit(scale=0.8, rotate=-6.0, mirror=True, colour=0.7, quality=75)),
])
def test_the_true_source_wins_and_the_transform_is_recovered(sources: list, faces: dict, who: str,
                                                             edit: Edit) -> None:
    suspect = suspect_features("suspect.jpg", *_decoded(fake(faces[who], 11, edit)), [])
    best, runner_up, *_ = rank_sources(suspect, sources)
    assert best.source == f"{who}.jpg" and best.inliers >= 40 and best.attribution_score > 0.9
    assert best.score > runner_up.score
    assert best.transform is not None and best.transform.mirrored == edit.mirror
    assert best.transform.scale == pytest.approx(edit.scale, rel=0.1)
    turn = -edit.rotate if edit.mirror else edit.rotate  # a mirror image turns the other way
    assert best.transform.rotation == pytest.approx(turn, abs=2.0)
    assert best.as_json()["transform"]["mirrored"] == edit.mirror


def test_overlay_blurs_below_the_face(sources: list, faces: dict, tmp_path: Path) -> None:
    suspect = suspect_features("suspect.jpg", *_decoded(fake(faces["astronaut"], 12)), [])
    best = rank_sources(suspect, sources)[0]
    source = next(s for s in sources if s.name == best.source)
    out = draw_overlay(source, suspect, best, tmp_path / "overlay.png")
    with Image.open(out) as im:
        assert im.height == 480 and im.width > 480
    for features in (source, suspect):
        blurred = below_face_blurred(features).astype(np.int16)
        _, y, _, h = features.face.box
        chin = round((y + 1.15 * h) * features.scale)
        flat = lambda a: (np.diff(a, axis=1) == 0).all(axis=2).mean()  # noqa: E731
        assert flat(blurred[chin + 1 :]) > 0.8  # pixelated: blocks of one colour
        assert np.array_equal(blurred[: chin - 1], features.rgb[: chin - 1])  # the face is untouched
