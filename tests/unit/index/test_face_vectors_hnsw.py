"""Past ``approximate_from`` descriptors the face index answers from an HNSW graph: same answers as exact
search on clustered descriptors (people with several photos each), and changes take effect at once."""

from __future__ import annotations

import numpy as np
import pytest

from reclaim.index.face_vectors import FaceVectorIndex

pytest.importorskip("faiss", reason="needs reclaim[keypoints] (FAISS)")


def people(seed: int, count: int, photos: int) -> tuple[np.ndarray, np.ndarray]:
    """(centres, descriptors): each person's photos scattered ~0.3 around their centre, as dlib's are."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 0.09, (count, 128)).astype(np.float32)
    noise = rng.normal(0, 0.3 / np.sqrt(128), (count, photos, 128)).astype(np.float32)
    return centres, (centres[:, None, :] + noise).reshape(-1, 128)


def test_approximate_search_finds_what_exact_search_finds() -> None:
    centres, vectors = people(1, 300, 5)
    exact, graph = FaceVectorIndex(), FaceVectorIndex(approximate_from=100)
    for index in (exact, graph):
        index.add_vectors(list(range(len(vectors))), vectors)
    assert graph.approximate and not exact.approximate
    rng = np.random.default_rng(2)
    for centre in centres[:60]:
        query = centre + rng.normal(0, 0.3 / np.sqrt(128), 128).astype(np.float32)
        want = exact.query_vector(query, 0.6)
        got = graph.query_vector(query, 0.6)
        assert [m.ref for m in got] == [m.ref for m in want]
        assert [m.distance for m in got] == pytest.approx([m.distance for m in want], abs=1e-4)


def test_adds_and_removes_reach_the_graph() -> None:
    _, vectors = people(3, 100, 3)
    index = FaceVectorIndex(approximate_from=50)
    index.add_vectors(list(range(len(vectors))), vectors)
    assert index.query_vector(vectors[7], 0.01)[0].ref == 7
    index.remove([7])
    assert all(m.ref != 7 for m in index.query_vector(vectors[7], 0.6))
    index.add_vectors([999], vectors[7:8])
    assert index.query_vector(vectors[7], 0.01)[0].ref == 999


def test_a_saved_graph_is_reopened_not_rebuilt_and_a_change_replaces_it(tmp_path, monkeypatch) -> None:
    import faiss

    _, vectors = people(3, 100, 3)
    refs = list(range(len(vectors)))
    first = FaceVectorIndex(approximate_from=10, cache_dir=tmp_path)
    first.add_vectors(refs, vectors)
    answers = [first.query_vector(v, 0.6) for v in vectors[:20]]
    (saved,) = tmp_path.glob("faces-*.hnsw")

    reopened = FaceVectorIndex(approximate_from=10, cache_dir=tmp_path)
    reopened.add_vectors(refs, vectors)
    with monkeypatch.context() as patched:
        patched.setattr(faiss, "IndexHNSWFlat", lambda *_: pytest.fail("the graph was built again"))
        assert [reopened.query_vector(v, 0.6) for v in vectors[:20]] == answers

    reopened.add_vectors([len(vectors)], vectors[:1] + 0.01)  # a new photo enrolled: another graph
    reopened.query_vector(vectors[0], 0.6)
    (replacement,) = tmp_path.glob("faces-*.hnsw")
    assert replacement != saved and not saved.exists()
    assert not list(tmp_path.glob("*.partial"))
