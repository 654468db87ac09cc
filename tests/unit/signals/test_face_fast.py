"""The fast first face detector: face-less photos never reach dlib; small, turned and large-decode faces do."""

from __future__ import annotations

import numpy as np
import pytest

from reclaim.media import decode_image
from reclaim.signals import Media, face_cascade
from reclaim.signals import face as face_module
from reclaim.signals.face import FaceSignal, descriptor_distance, detect_faces
from reclaim.signals.face_cascade import group, windows
from reclaim.synthetic.faces import FACE_BOXES, Edit, fake, placed
from reclaim.synthetic.scenes import jpeg_bytes, photo_scene, scene

pytest.importorskip("dlib", reason="needs reclaim[faces]")


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Every candidate handed to the costly pass (dlib's HOG check, landmarks, descriptor)."""
    seen: list[object] = []
    real = face_module._check

    def spy(pixels: np.ndarray, candidate: object, to_pixels: float) -> object:
        seen.append(candidate)
        return real(pixels, candidate, to_pixels)

    monkeypatch.setattr(face_module, "_check", spy)
    return seen


def test_face_less_photos_are_rejected_before_the_costly_passes(checks: list[object]) -> None:
    """Most face-less photos give the cascade no spot at all, so dlib never runs; a false spot costs one check
    and is refused there."""
    reached = []
    for seed in range(1, 9):
        checks.clear()
        assert detect_faces(np.asarray(scene(seed, (1280, 960)))) == []
        reached.append(len(checks))
    assert sum(n == 0 for n in reached) >= 6 and sum(reached) <= 4, reached


@pytest.fixture
def closer_looks(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Every near miss of the cascade scanned again closely (``face_cascade.refine``, no dlib)."""
    seen: list[object] = []
    real = face_cascade.refine

    def spy(grey: np.ndarray, near: object) -> list[object]:
        seen.append(near)
        return real(grey, near)

    monkeypatch.setattr(face_cascade, "refine", spy)
    return seen


def test_near_misses_in_face_less_photos_cost_a_closer_look_not_a_check(checks: list[object],
                                                                         closer_looks: list[object]) -> None:
    """The closer look at the cascade's near misses is bounded per photo and what it finds in face-less scenes
    never reaches dlib: the same scenes pay for no more checks than the cascade's own candidates."""
    checked_without = []
    for seed in range(1, 9):
        photo = np.asarray(scene(seed, (1280, 960)))
        closer_looks.clear()
        checks.clear()
        assert detect_faces(photo) == []
        assert len(closer_looks) <= face_module.MAX_NEAR
        looked, checked = len(closer_looks), len(checks)
        checks.clear()
        assert detect_faces(photo, near=0) == []  # the cascade's candidates alone
        checked_without.append((looked, checked, len(checks)))
    assert any(looked for looked, _, _ in checked_without)  # near misses were looked at...
    assert all(checked == alone for _, checked, alone in checked_without), checked_without  # ...and none was checked


def test_a_face_between_two_pyramid_levels_is_found_by_a_closer_look(faces: dict, closer_looks: list[object]) -> None:
    """A 50 px face the coarse scan only half accepts (a near miss): found once looked at closely around itself,
    and described near its own person."""
    own = detect_faces(np.asarray(faces["astronaut"]))[0].descriptor
    shown = placed(faces, "astronaut", 2316, width=50, roll=-6.2)  # 1280x960
    image = decode_image(shown.data, "shown.jpg")
    assert detect_faces(image.rgb, scale=image.scale, near=0) == []  # the cascade's candidates alone miss it
    (face,) = detect_faces(image.rgb, scale=image.scale)
    assert closer_looks
    cx, cy = face.box[0] + face.box[2] / 2, face.box[1] + face.box[3] / 2
    assert abs(cx - shown.centre[0]) < 15 and abs(cy - shown.centre[1]) < 15 and 40 <= face.box[2] <= 65
    assert descriptor_distance(face.descriptor, own) < 0.6


@pytest.mark.parametrize("roll", [19.2, -19.2])
def test_a_small_turned_face_in_a_video_frame_is_found(faces: dict, roll: float) -> None:
    """A 640x360 frame is scanned for turned faces from ~42 px (a 1280x960 photo from 96 px) at the same cost:
    a 62 px face turned 19 degrees is found."""
    own = detect_faces(np.asarray(faces["grace_hopper"]))[0].descriptor
    shown = placed(faces, "grace_hopper", 2511, width=62, roll=roll, size=(640, 360))
    (face,) = detect_faces(decode_image(shown.data, "frame.jpg").rgb)
    cx, cy = face.box[0] + face.box[2] / 2, face.box[1] + face.box[3] / 2
    assert abs(cx - shown.centre[0]) < 0.3 * 62 and abs(cy - shown.centre[1]) < 0.3 * 62
    assert descriptor_distance(face.descriptor, own) < 0.6


def test_the_spy_sees_a_face_when_there_is_one(faces: dict, checks: list[object]) -> None:
    (face,) = detect_faces(np.asarray(faces["astronaut"]))
    assert len(checks) >= 1
    x, y, w, h = FACE_BOXES["astronaut"]
    assert abs(face.box[0] + face.box[2] / 2 - (x + w / 2)) < 0.15 * w and 0.75 < face.box[2] / w < 1.3


def test_the_cascade_agrees_with_scikit_image_on_the_astronaut(faces: dict) -> None:
    from skimage.data import lbp_frontal_face_cascade_filename
    from skimage.feature import Cascade

    grey = np.asarray(faces["astronaut"].convert("L"))
    theirs = Cascade(lbp_frontal_face_cascade_filename()).detect_multi_scale(
        grey, scale_factor=1.25, step_ratio=1, min_size=(24, 24), max_size=(512, 512))
    ours = group(windows(grey, 24))
    x, y, w, h = FACE_BOXES["astronaut"]
    assert any(abs(d["c"] + d["width"] / 2 - (x + w / 2)) < 20 for d in theirs)
    assert any(abs(cx - (x + w / 2)) < 20 and abs(cy - (y + h / 2)) < 30 and 0.7 < size / w < 1.5
               for cx, cy, size, *_ in ours)


@pytest.mark.parametrize(("width", "roll"), [(40, 0.0), (110, 35.0), (110, -48.0)])
def test_small_and_turned_faces_are_found_where_they_are(faces: dict, width: float, roll: float) -> None:
    own = detect_faces(np.asarray(faces["grace_hopper"]))[0].descriptor
    shown = placed(faces, "grace_hopper", 11, width=width, roll=roll, size=(640, 480))
    image = decode_image(shown.data, "shown.jpg")
    found = detect_faces(image.rgb, scale=image.scale)
    assert len(found) == 1
    (face,) = found
    cx, cy = face.box[0] + face.box[2] / 2, face.box[1] + face.box[3] / 2
    assert abs(cx - shown.centre[0]) < 0.3 * width and abs(cy - shown.centre[1]) < 0.3 * width
    assert descriptor_distance(face.descriptor, own) < 0.6


def test_a_reduced_decode_is_described_from_the_full_pixels(faces: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    shown = placed(faces, "astronaut", 8, width=150, size=(2400, 1800))
    data = shown.data
    fast = decode_image(data, "big.jpg")
    assert fast.scale < 1  # the hashes' fast decode is reduced
    decoded = []
    real = face_module._full_pixels

    def full(media: Media) -> np.ndarray:
        decoded.append(media.name)
        return real(media)

    monkeypatch.setattr(face_module, "_full_pixels", full)
    (value,) = FaceSignal().compute(Media("big.jpg", data, fast))
    assert decoded == ["big.jpg"]
    x, y, w, _ = value.extras["box"]
    assert abs(x + w / 2 - shown.centre[0]) < 25 and abs(w - 150) < 40  # in the full image's pixels
    # a face-less photo of the same size is never decoded twice
    decoded.clear()
    assert FaceSignal().compute(Media("empty.jpg", jpeg_bytes(scene(9, (2400, 1800))),
                                      decode_image(jpeg_bytes(scene(9, (2400, 1800))), "empty.jpg"))) == []
    assert decoded == []


@pytest.mark.parametrize(("who", "seed"), [("grace_hopper", 8251), ("astronaut", 8861)])
def test_a_face_hog_half_accepts_upright_is_checked_again_turned(faces: dict, who: str, seed: int,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Two composites of bench/case.py's 10,000-item room (messages 8251 and 8861 of seed 0): faces of 110-260
    px turned about 15 degrees, which the cascade accepts upright and HOG scores 0.39-0.47 upright (under
    MIN_SCORE) and over 1 turned 12 degrees its way. Found with the turned second look, lost without it."""
    own = detect_faces(np.asarray(faces[who]))[0].descriptor
    data = fake(faces[who], seed, Edit.random(np.random.default_rng(seed)), background=photo_scene(seed, (1280, 960)))
    image = decode_image(data, "fake.jpg")

    def matched() -> bool:
        found = detect_faces(image.rgb, scale=image.scale, full=lambda: decode_image(data, "fake.jpg", fast=False).rgb)
        return any(descriptor_distance(f.descriptor, own) < 0.6 for f in found)

    assert matched()
    monkeypatch.setattr(face_module, "RETRY_TURN", 0.0)  # the second look at the same turn: upright only
    assert not matched()
