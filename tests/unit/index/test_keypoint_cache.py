"""The keypoint index kept on disk: reused when built from the same refs, rebuilt (and rewritten) when the
refs change, and a corrupt or foreign file is simply rebuilt over."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from skimage import data

from reclaim.synthetic.reposts import crop_area

pytest.importorskip("cv2")
pytest.importorskip("faiss")
from PIL import Image  # noqa: E402

from reclaim.index.keypoints import KeypointIndex  # noqa: E402
from reclaim.signals.keypoints import extract_keypoints  # noqa: E402


@pytest.fixture(scope="module")
def sets() -> list:
    photos = [data.astronaut(), data.coffee(), data.rocket()]
    return [extract_keypoints(p) for p in photos]


def opened(path: Path, sets: list, refs: list[int], flat_limit: int = 50_000) -> KeypointIndex:
    index = KeypointIndex(cache=path, flat_limit=flat_limit)
    index.add(refs, [sets[r] for r in refs])
    index.build()
    return index


@pytest.mark.parametrize("flat_limit", [50_000, 100], ids=["flat", "ivf"])
def test_the_same_refs_reuse_the_file_and_answer_alike(tmp_path: Path, sets: list, flat_limit: int) -> None:
    path = tmp_path / "cache" / "kp.npz"
    first = opened(path, sets, [0, 1], flat_limit)
    assert not first.loaded_from_cache and path.exists()
    again = opened(path, sets, [1, 0], flat_limit)  # order does not matter
    assert again.loaded_from_cache
    query = extract_keypoints(np.asarray(crop_area(Image.fromarray(data.coffee()), 3)))
    assert [h.ref for h in again.query(query)] == [h.ref for h in first.query(query)] == [1]


def test_other_refs_rebuild_and_rewrite_the_file(tmp_path: Path, sets: list) -> None:
    path = tmp_path / "kp.npz"
    opened(path, sets, [0, 1])
    grown = opened(path, sets, [0, 1, 2])
    assert not grown.loaded_from_cache
    assert opened(path, sets, [0, 1, 2]).loaded_from_cache
    assert not opened(path, sets, [0, 2]).loaded_from_cache  # a withdrawn image changes the stamp too


def test_a_corrupt_file_is_rebuilt_over(tmp_path: Path, sets: list) -> None:
    path = tmp_path / "kp.npz"
    path.write_bytes(b"not an index")
    assert not opened(path, sets, [0]).loaded_from_cache
    assert opened(path, sets, [0]).loaded_from_cache


def test_an_index_read_back_gets_the_search_settings(tmp_path: Path, sets: list,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """nprobe and the HNSW centres' efSearch are search-time settings: a cached index must get them too."""
    import faiss

    from reclaim.index import keypoints

    monkeypatch.setattr(keypoints, "FLAT_LISTS", 4)  # so three images already take the HNSW-centred branch
    path = tmp_path / "kp.npz"
    for expect_cached in (False, True):
        index = opened(path, sets, [0, 1, 2], flat_limit=100)
        assert index.loaded_from_cache is expect_cached
        quantizer = faiss.downcast_IndexBinary(index._faiss.quantizer)
        assert isinstance(quantizer, faiss.IndexBinaryHNSW)
        assert index._faiss.nprobe == keypoints.probes(index._faiss.nlist, index._faiss.ntotal)
        assert quantizer.hnsw.efSearch == keypoints.EF_SEARCH
        assert index.query(extract_keypoints(np.asarray(crop_area(Image.fromarray(data.coffee()), 3))))[0].ref == 1
