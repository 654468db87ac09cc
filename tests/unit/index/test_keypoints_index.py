"""The keypoint index and its geometric checks: known images found inside edited queries, several in a
collage, nothing in unrelated or flat ones, and degenerate warps refused."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from skimage import data

from reclaim.index.geometry import transform_problems, verify
from reclaim.index.keypoints import KeypointIndex
from reclaim.synthetic.reposts import collage, crop_area, mirror, rotate, screenshot, sticker

pytest.importorskip("cv2")
pytest.importorskip("faiss")
from reclaim.signals.keypoints import extract_keypoints  # noqa: E402

SIZE = (640, 480)


def features(image: Image.Image):
    return extract_keypoints(np.asarray(image.convert("RGB")))


@pytest.fixture(scope="module")
def photos(faces: dict) -> list[Image.Image]:
    return [Image.fromarray(data.astronaut()), Image.fromarray(data.coffee()), Image.fromarray(data.rocket()),
            faces["grace_hopper"], Image.fromarray(data.chelsea())]


@pytest.fixture(scope="module")
def index(photos: list[Image.Image]) -> KeypointIndex:
    built = KeypointIndex()
    built.add(list(range(4)), [features(p) for p in photos[:4]])  # chelsea stays unknown
    return built


@pytest.mark.parametrize("variant", [crop_area, sticker, screenshot, rotate, mirror], ids=lambda f: f.__name__)
def test_edited_reuploads_are_found_with_their_transform(index: KeypointIndex, photos: list, variant) -> None:
    query = variant(photos[1], 7)
    (hit,) = index.query(features(query))
    assert hit.ref == 1 and hit.verification.inliers >= 15 and hit.verification.score > 0.9
    transform = hit.verification.transform
    assert transform.mirrored is (variant is mirror)
    if variant is screenshot:
        assert 0.25 < transform.scale < 0.65
        x0, y0, x1, y1 = transform.query_region
        assert 0 < x0 < x1 < 1 and 0 < y0 < y1 < 1 and (x1 - x0) * (y1 - y0) < 0.5
    if variant is crop_area:
        x0, y0, x1, y1 = transform.known_region
        assert (x1 - x0) * (y1 - y0) < 0.95


def test_a_collage_yields_one_match_per_known_image(index: KeypointIndex, photos: list) -> None:
    query = collage([photos[0], photos[4], photos[1], photos[3]], 1)
    hits = index.query(features(query))
    assert {h.ref for h in hits} == {0, 1, 3}  # the unknown cat is not claimed
    regions = {h.ref: h.verification.transform.query_region for h in hits}
    assert regions[0][2] <= 0.55 and regions[1][1] >= 0.45 and regions[3][0] >= 0.45


def test_candidates_carry_the_query_rows_that_voted(index: KeypointIndex, photos: list) -> None:
    """Verification matches only these rows, so they must index the set (plain or mirror) that voted."""
    query = features(mirror(photos[2], 0))
    best = index.candidates(query)[0]
    assert (best.ref, best.mirrored) == (2, True) and len(best.rows) == best.votes
    assert best.rows.max() < len(query.mirror) and len(set(best.rows.tolist())) == len(best.rows)
    assert index.verify(query, best).inliers >= 15


def test_unrelated_and_flat_queries_find_nothing(index: KeypointIndex, photos: list) -> None:
    assert index.query(features(photos[4])) == []
    flat = features(Image.new("RGB", SIZE, (90, 90, 90)))
    assert len(flat.plain) == 0 and index.query(flat) == []


def test_removal_takes_effect_at_once(photos: list) -> None:
    built = KeypointIndex()
    built.add([5, 6], [features(photos[0]), features(photos[1])])
    query = features(crop_area(photos[0], 2))
    assert [h.ref for h in built.query(query)] == [5]
    built.remove([5])
    assert built.query(query) == [] and len(built) == 1


def test_inverted_file_index_agrees_with_exact_search(photos: list) -> None:
    sets = [features(p) for p in photos]
    exact, inverted = KeypointIndex(), KeypointIndex(flat_limit=0, nprobe=8)
    for built in (exact, inverted):
        built.add(list(range(5)), sets)
    query = features(collage([photos[0], photos[1], photos[4], photos[3]], 3))
    assert {h.ref for h in inverted.query(query)} == {h.ref for h in exact.query(query)} == {0, 1, 3, 4}


def homography(a: float, b: float, c: float, d: float, g: float = 0.0, h: float = 0.0) -> np.ndarray:
    return np.array([[a, b, 10.0], [c, d, 20.0], [g, h, 1.0]])


@pytest.mark.parametrize(("name", "matrix"), [
    ("flip", homography(-1, 0, 0, 1)),
    ("collapsed", homography(1, 0, 0, 0)),
    ("tiny", homography(0.02, 0, 0, 0.02)),
    ("huge", homography(30, 0, 0, 30)),
    ("squashed", homography(1, 0, 0, 0.2)),
    ("tilted", homography(1, 0, 0, 1, 0.002, 0)),
    ("through infinity", homography(1, 0, 0, 1, -0.004, 0)),
    ("not finite", homography(np.nan, 0, 0, 1)),
])
def test_degenerate_warps_are_rejected(name: str, matrix: np.ndarray) -> None:
    assert transform_problems(matrix, SIZE), name


def test_plausible_warps_pass() -> None:
    angle = np.radians(8)
    rotation = homography(0.5 * np.cos(angle), -0.5 * np.sin(angle), 0.5 * np.sin(angle), 0.5 * np.cos(angle))
    assert transform_problems(rotation, SIZE) == []
    assert transform_problems(homography(1.6, 0, 0, 1.6, 0.0001, 0), SIZE) == []


def test_clumped_or_random_matches_do_not_verify() -> None:
    rng = np.random.default_rng(0)
    clump = rng.uniform(100, 110, (40, 2)).astype(np.float32)
    assert verify(clump, clump + 5, SIZE, SIZE) is None  # a perfect fit, but on a 10 px spot
    scattered = rng.uniform(0, 480, (60, 2)).astype(np.float32)
    assert verify(scattered, rng.uniform(0, 480, (60, 2)).astype(np.float32), SIZE, SIZE) is None
    assert verify(scattered[:5], scattered[:5], SIZE, SIZE) is None  # too few to count


def test_one_corner_found_again_at_other_pyramid_levels_counts_once() -> None:
    """Three spread corners, each repeated 5 times a pixel or two apart on both images (what ORB's pyramid gives),
    fit one warp with 15 "inliers": 3 pieces of evidence, not enough. The same 15 matches at 15 spread corners
    verify."""
    rng = np.random.default_rng(1)
    corners = np.array([[100, 100], [400, 120], [250, 380]], np.float32)
    known = np.repeat(corners, 5, axis=0) + rng.uniform(-1.5, 1.5, (15, 2)).astype(np.float32)
    query = 0.5 * known + (40, 30) + rng.uniform(-0.5, 0.5, (15, 2)).astype(np.float32)
    assert verify(known, query, SIZE, SIZE) is None
    spread = rng.uniform(20, 460, (15, 2)).astype(np.float32)
    found = verify(spread, 0.5 * spread + (40, 30), SIZE, SIZE)
    assert found is not None and found.inliers == 15


def test_lists_searched_cover_about_the_same_number_of_descriptors_at_every_bank_size() -> None:
    from reclaim.index.keypoints import NPROBE, probes

    assert probes(65_536, 5_000_000) == NPROBE  # 10 k images: 76 descriptors a list
    assert probes(12_480, 499_269) == 11  # 1 k images: 40 a list, so about twice as many lists
    assert probes(4, 200) == 4  # never more lists than there are
    assert probes(100, 1_000_000, minimum=8) == 8
