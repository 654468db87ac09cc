"""The face signal: detection with the score filter, descriptors, the stored text form, and opting in."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from reclaim.errors import InvalidHash, UserError
from reclaim.index.face_vectors import FaceVectorIndex, pack_face, unpack_face
from reclaim.media import decode_image
from reclaim.signals import Media, all_signals, get_signal
from reclaim.signals import face as face_module
from reclaim.signals.face import FaceSignal, descriptor_distance, detect_faces

pytest.importorskip("dlib", reason="needs reclaim[faces]")


def faces_in(path: Path) -> list[face_module.Face]:
    image = decode_image(path.read_bytes(), path.name)
    return detect_faces(image.rgb, scale=image.scale)


def test_astronaut_has_one_face_and_the_patch_is_filtered(face_photos: dict[str, Path]) -> None:
    (face,) = faces_in(face_photos["astronaut"])  # the mission patch scores 0.12 and is dropped
    x, y, w, h = face.box
    assert 150 < x < 200 and 50 < y < 110 and 70 < w < 110 and h == w
    assert len(face.landmarks) == 5 and face.descriptor.shape == (128,) and face.score > 0.5


def test_boxes_and_landmarks_without_descriptors_are_those_with(face_photos: dict[str, Path]) -> None:
    """What attribution and provenance ask for when no descriptor is compared: the same faces, cheaper."""
    rgb = np.asarray(Image.open(face_photos["fake_astronaut"]).convert("RGB"))
    described = detect_faces(rgb)
    bare = detect_faces(rgb, describe=False)
    assert described and [(f.box, f.landmarks) for f in bare] == [(f.box, f.landmarks) for f in described]
    assert all(f.descriptor.size == 0 for f in bare)
    with pytest.raises(ValueError):  # an empty descriptor cannot be mistaken for a near one
        descriptor_distance(bare[0].descriptor, described[0].descriptor)
    assert sorted(face_module.face_boxes(rgb)) == sorted(f.box for f in described)


def test_same_person_is_near_and_different_people_are_far(face_photos: dict[str, Path]) -> None:
    astronaut, fake, hopper = (faces_in(face_photos[k])[0] for k in ("astronaut", "fake_astronaut", "grace_hopper"))
    assert descriptor_distance(astronaut.descriptor, fake.descriptor) < 0.4
    assert descriptor_distance(astronaut.descriptor, hopper.descriptor) > 0.6


def test_no_face_is_an_empty_answer(face_photos: dict[str, Path]) -> None:
    data = face_photos["scene"].read_bytes()
    assert FaceSignal().compute(Media("scene.png", data, decode_image(data, "scene.png"))) == []


def test_compute_gives_one_value_per_face_in_full_image_coordinates(face_photos: dict[str, Path]) -> None:
    data = face_photos["astronaut"].read_bytes()
    image = decode_image(data, "a.jpg", fast=False)
    (value,) = FaceSignal().compute(Media("a.jpg", data, image))
    assert (value.signal, value.version) == ("face", FaceSignal.version)
    assert FaceSignal().parse(value.value) == value.value and value.extras["box"] == list(unpack_face(value.value)[1])


def test_text_form_round_trips_and_quantisation_is_small() -> None:
    rng = np.random.default_rng(1)
    vector = rng.uniform(-0.45, 0.45, 128).astype(np.float32)
    text = pack_face(vector, (1, 2, 30, 40))
    back, box = unpack_face(text.upper())
    assert box == (1, 2, 30, 40) and np.linalg.norm(back - vector) < 0.02
    assert len(text) < 400  # the item_signals.value column


@pytest.mark.parametrize("bad", ["", "1,2,3,4@00", "1,2,3@" + "00" * 128, "1,2,0,4@" + "00" * 128, "x@y"])
def test_damaged_values_are_refused(bad: str) -> None:
    with pytest.raises(InvalidHash):
        FaceSignal().parse(bad)


def test_contract_on_examples() -> None:
    signal = get_signal("face")
    for text in signal.examples():
        assert signal.parse(f" {text.upper()}\n") == text and signal.distance(text, text) == 0
    a, b = signal.examples()
    assert signal.distance(a, b) == signal.distance(b, a) > 0


def test_faces_are_opt_in() -> None:
    assert "face" not in [s.name for s in all_signals()]
    assert "face" in [s.name for s in all_signals({"face"})]


def test_missing_extra_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "dlib" else real(name, *a))
    face_module.faces_available.cache_clear()
    try:
        assert not face_module.faces_available()
        with pytest.raises(UserError, match=r"pip install 'reclaim\[faces\]'"):
            face_module._models.__wrapped__()
    finally:
        face_module.faces_available.cache_clear()  # the next test asks again, with the extra installed


def test_vector_index_answers_nearest_first_within_the_distance() -> None:
    index = FaceVectorIndex()
    base = np.zeros(128, np.float32)
    index.add_vectors([1, 2, 3], np.stack([base + 0.01, base + 0.04, base + 0.5]))
    assert [m.ref for m in index.query_vector(base, 0.6)] == [1, 2]
    index.remove([1])
    assert [m.ref for m in index.query_vector(base, 0.6)] == [2] and len(index) == 2
