"""The keypoints signal: ORB on a bounded copy and its mirror, one compact blob, a flat image is no error."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from reclaim.errors import InvalidHash
from reclaim.index.keypoint_set import KeypointSet
from reclaim.media import decode_image
from reclaim.signals import Media, get_signal
from reclaim.signals.keypoints import (
    MAX_ENLARGE,
    MAX_SIDE,
    MIRROR_FEATURES,
    N_FEATURES,
    KeypointsSignal,
    extract_keypoints,
    sized_grey,
)
from reclaim.synthetic.scenes import composite, jpeg_bytes

pytest.importorskip("cv2")


@pytest.fixture(scope="module")
def photo(faces: dict) -> Image.Image:
    return composite(faces["astronaut"], seed=3, size=(1600, 1200))


def test_features_on_a_bounded_copy_and_its_mirror(photo: Image.Image) -> None:
    kset = extract_keypoints(np.asarray(photo))
    assert (kset.width, kset.height) == (MAX_SIDE, MAX_SIDE * 3 // 4)
    assert 200 < len(kset.plain) <= N_FEATURES and 0.95 * MIRROR_FEATURES <= len(kset.mirror) <= MIRROR_FEATURES
    assert kset.plain.xy[:, 0].max() < kset.width and kset.plain.xy[:, 1].max() < kset.height
    # The mirror set is described at the mirrored spots of the strongest plain features, not detected again: a
    # mirrored photo's own plain features hold (nearly) each of them, at the same spot with the same descriptor.
    flipped = extract_keypoints(np.asarray(photo)[:, ::-1])
    same = 0
    for xy, descriptor in zip(kset.mirror.xy, kset.mirror.descriptors, strict=True):
        near = np.flatnonzero(np.abs(flipped.plain.xy - xy).max(axis=1) < 1.5)
        bits = [int(np.unpackbits(flipped.plain.descriptors[i] ^ descriptor).sum()) for i in near]
        same += min(bits, default=256) <= 20
    assert same > 0.9 * len(kset.mirror), same


def test_blob_round_trips_compactly(photo: Image.Image) -> None:
    kset = extract_keypoints(np.asarray(photo))
    blob = kset.to_blob()
    assert len(blob) == 12 + 36 * (len(kset.plain) + len(kset.mirror))
    back = KeypointSet.from_blob(blob)
    assert (back.width, back.height) == (kset.width, kset.height)
    assert np.array_equal(back.plain.descriptors, kset.plain.descriptors)
    assert np.abs(back.mirror.xy - kset.mirror.xy).max() <= 1 / 64
    for bad in (b"", b"RKP1", blob[:-1], b"XXXX" + blob[4:]):
        with pytest.raises(InvalidHash):
            KeypointSet.from_blob(bad)


def test_compute_records_name_version_digest_and_blob(photo: Image.Image) -> None:
    data = jpeg_bytes(photo)
    signal = get_signal("keypoints")
    assert signal.opt_in  # a plain scan does not pay for keypoints
    (value,) = signal.compute(Media("p.jpg", data, decode_image(data, "p.jpg")))
    assert (value.signal, value.version) == ("keypoints", KeypointsSignal.version)
    assert value.blob and signal.parse(value.value) == value.value and len(value.value) == 64
    assert value.extras["keypoints"] == len(KeypointSet.from_blob(value.blob).plain)


def test_flat_image_gives_an_empty_set_not_an_error() -> None:
    data = jpeg_bytes(Image.new("RGB", (300, 200), (128, 128, 128)))
    (value,) = KeypointsSignal().compute(Media("flat.jpg", data, decode_image(data, "flat.jpg")))
    kset = KeypointSet.from_blob(value.blob or b"")
    assert len(kset.plain) == len(kset.mirror) == 0 and value.extras["keypoints"] == 0
    assert (kset.width, kset.height) == (300 * MAX_ENLARGE, 200 * MAX_ENLARGE)  # enlarged like any small image


def test_text_form_is_a_digest() -> None:
    signal = KeypointsSignal()
    digest = signal.examples()[0]
    assert signal.distance(digest, digest) == 0 and signal.distance(digest, "0" * 64) == 1
    with pytest.raises(InvalidHash):
        signal.parse("not a digest")


@pytest.mark.parametrize(("size", "expected"), [((3000, 2000), (MAX_SIDE, 683)), ((400, 300), (800, 600)),
                                                ((600, 900), (683, MAX_SIDE))])
def test_long_side_is_brought_to_max_side_enlarging_at_most_twice(size: tuple, expected: tuple) -> None:
    """Screenshots and collages show known images small: enlarging gives them keypoints, within reason."""
    assert MAX_ENLARGE == 2
    assert sized_grey(np.zeros((size[1], size[0], 3), np.uint8)).shape[::-1] == expected
