"""PDQIndex must return exactly what the brute-force LinearPDQIndex returns, whatever the data, radius and history."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from reclaim.index import pdq_mih, pdq_segment
from reclaim.index.linear import LinearPDQIndex
from reclaim.index.pdq_mih import PDQIndex

STRATEGIES = ("tables", "scan", "auto")
# Radii the tables may be forced to answer: beyond ~120 forced probing takes too long for a unit test.
TABLE_RADII = st.one_of(st.sampled_from([0, 1, 15, 16, 31, 32, 47, 63, 64]), st.integers(0, 120))
ANY_RADII = st.one_of(TABLE_RADII, st.integers(-2, 300))


@contextmanager
def small_segments(strategy: str = "auto", flush_rows: int = 8) -> Iterator[None]:
    """Tiny segments (so merges, tombstones and the pending buffer all occur at small n), with the search
    strategy forced when asked: "tables" always probes, "scan" always scans."""
    forced = {"tables": lambda rows, radius: radius >= 256, "scan": lambda rows, radius: True}
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(pdq_mih, "FLUSH_ROWS", flush_rows)
        if strategy in forced:
            mp.setattr(pdq_segment, "prefers_scan", forced[strategy])
        yield


def flip(codes: np.ndarray, bits: list[np.ndarray]) -> np.ndarray:
    """Copy of ``codes`` with row i's bit positions ``bits[i]`` inverted."""
    unpacked = np.unpackbits(codes, axis=1)
    for row, positions in enumerate(bits):
        unpacked[row, positions] ^= 1
    return np.packbits(unpacked, axis=1)


def clustered(seed: int, originals: int, variants: int, max_flips: int) -> np.ndarray:
    """Random originals, each followed by near-duplicates with 0..max_flips random bits flipped."""
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 256, (originals, 32), dtype=np.uint8)
    copies = np.repeat(base, variants, axis=0)
    flips = [rng.choice(256, rng.integers(0, max_flips + 1), replace=False) for _ in range(len(copies))]
    return np.concatenate([base, flip(copies, flips)])


def queries_near(seed: int, stored: np.ndarray, count: int) -> np.ndarray:
    """Stored codes with 0..40 bits flipped, plus unrelated codes."""
    rng = np.random.default_rng(seed)
    picked = stored[rng.integers(0, len(stored), count)] if len(stored) else np.empty((0, 32), np.uint8)
    near = flip(picked, [rng.choice(256, rng.integers(0, 41), replace=False) for _ in range(len(picked))])
    return np.concatenate([near, rng.integers(0, 256, (count, 32), dtype=np.uint8)])


def assert_same(got: list, want: list) -> None:
    assert len(got) == len(want)
    for (ids, dists), (want_ids, want_dists) in zip(got, want, strict=True):
        assert ids.dtype == np.int64 and dists.dtype == np.int32
        np.testing.assert_array_equal(ids, want_ids)
        np.testing.assert_array_equal(dists, want_dists)


def assert_same_alone(fast: PDQIndex, slow: LinearPDQIndex, queries: np.ndarray, radius: int) -> None:
    """Each query asked on its own (the server's path, which skips the batch bookkeeping), as an array or as its
    32 bytes, answers the same."""
    assert_same([fast.search(q[None], radius)[0] for q in queries], slow.search(queries, radius))
    assert_same([fast.search_code(q.tobytes(), radius) for q in queries], slow.search(queries, radius))


def both(ids: np.ndarray, codes: np.ndarray) -> tuple[PDQIndex, LinearPDQIndex]:
    fast, slow = PDQIndex(), LinearPDQIndex()
    fast.add(ids, codes)
    slow.add(ids, codes)
    return fast, slow


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    originals=st.integers(1, 12),
    variants=st.integers(0, 30),
    radius=ANY_RADII,
    strategy=st.sampled_from(STRATEGIES),
)
def test_matches_brute_force_on_clustered_codes(
    seed: int, originals: int, variants: int, radius: int, strategy: str
) -> None:
    if strategy == "tables" and radius > 120:
        radius = 120
    codes = clustered(seed, originals, variants, max_flips=40)
    ids = np.random.default_rng(seed).choice(2**62, len(codes), replace=False) - 2**61
    with small_segments(strategy):
        fast, slow = both(ids, codes)
        queries = queries_near(seed, codes, 6)
        assert len(fast) == len(slow)
        assert_same(fast.search(queries, radius), slow.search(queries, radius))
        assert_same_alone(fast, slow, queries, radius)


@settings(max_examples=60, deadline=None)
@given(
    radius=TABLE_RADII,
    extra_chunks=st.permutations(range(16)),
    seed=st.integers(0, 2**32 - 1),
    strategy=st.sampled_from(STRATEGIES),
)
def test_codes_at_exactly_the_radius(radius: int, extra_chunks: list[int], seed: int, strategy: str) -> None:
    """Codes at radius - 1, radius and radius + 1, with the differing bits spread as evenly over the 16 chunks
    as possible (the case that defeats a too-optimistic pigeonhole), and also concentrated in a few bytes."""
    rng = np.random.default_rng(seed)
    query = rng.integers(0, 256, (1, 32), dtype=np.uint8)
    bits = []
    for distance in (d for d in (radius - 1, radius, radius + 1) if 0 <= d <= 256):
        per_chunk = [distance // 16 + (i < distance % 16) for i in range(16)]
        spread = [
            16 * chunk + rng.choice(16, per_chunk[rank], replace=False) for rank, chunk in enumerate(extra_chunks)
        ]
        bits += [np.concatenate(spread), rng.permutation(256)[:distance], np.arange(distance)]
    stored = flip(np.repeat(query, len(bits), axis=0), bits)
    with small_segments(strategy, flush_rows=4):
        fast, slow = both(np.arange(len(stored)) * 7, stored)
        assert_same(fast.search(query, radius), slow.search(query, radius))


class InterleavedUpdates(RuleBasedStateMachine):
    """Random adds (including re-adds), removes and searches; every change is visible to the next search."""

    def __init__(self) -> None:
        super().__init__()
        self.patch = small_segments("auto", flush_rows=16)
        self.patch.__enter__()
        self.fast, self.slow = PDQIndex(), LinearPDQIndex()
        self.known = np.empty((0, 32), np.uint8)

    def teardown(self) -> None:
        self.patch.__exit__(None, None, None)

    @initialize(seed=st.integers(0, 2**32 - 1))
    def start(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.known = clustered(seed, 4, 10, max_flips=32)

    @rule(count=st.integers(1, 40), id_range=st.sampled_from([50, 500]))
    def add(self, count: int, id_range: int) -> None:
        ids = self.rng.choice(id_range, count, replace=False)
        codes = self.known[self.rng.integers(0, len(self.known), count)]
        codes = flip(codes, [self.rng.choice(256, self.rng.integers(0, 8), replace=False) for _ in range(count)])
        self.fast.add(ids, codes)
        self.slow.add(ids, codes)

    @rule(count=st.integers(1, 30))
    def remove(self, count: int) -> None:
        ids = self.rng.integers(0, 500, count)
        self.fast.remove(ids)
        self.slow.remove(ids)

    @rule(radius=st.sampled_from([0, 8, 31, 40, 64]))
    def search(self, radius: int) -> None:
        queries = queries_near(int(self.rng.integers(2**32)), self.known, 4)
        assert_same(self.fast.search(queries, radius), self.slow.search(queries, radius))
        assert_same_alone(self.fast, self.slow, queries, radius)

    @invariant()
    def same_length(self) -> None:
        assert len(self.fast) == len(self.slow)


TestInterleavedUpdates = InterleavedUpdates.TestCase
TestInterleavedUpdates.settings = settings(max_examples=25, stateful_step_count=30, deadline=None)


def test_each_add_and_remove_is_visible_to_the_next_search() -> None:
    codes = clustered(1, 5, 20, max_flips=20)
    with small_segments("tables", flush_rows=32):
        index = PDQIndex()
        for i, code in enumerate(codes):
            index.add(np.array([i]), code[None])
            ids, dists = index.search(code[None], 0)[0]
            assert i in ids and dists[list(ids).index(i)] == 0
        for i in range(0, len(codes), 3):
            index.remove(np.array([i]))
            assert i not in index.search(codes[i : i + 1], 256)[0][0]
        assert len(index) == len(codes) - len(range(0, len(codes), 3))


def test_re_adding_an_id_replaces_its_code() -> None:
    a, b = np.zeros((1, 32), np.uint8), np.full((1, 32), 255, np.uint8)
    for flush_rows in (1, 100):  # once in a segment, once in the pending buffer
        with small_segments("tables", flush_rows=flush_rows):
            index = PDQIndex()
            index.add(np.array([5, 6]), np.concatenate([a, a]))
            index.add(np.array([5]), b)
            assert len(index) == 2
            assert list(index.search(a, 31)[0][0]) == [6]
            assert list(index.search(b, 31)[0][0]) == [5]


def test_code_of_returns_an_ids_current_code_wherever_it_lives() -> None:
    codes = clustered(2, 10, 21, max_flips=40)
    with small_segments("tables", flush_rows=8):  # 20 rows: segments of 8 and 8, and 4 pending
        index = PDQIndex()
        for start in range(0, 20, 4):
            index.add(np.arange(start, start + 4), codes[start : start + 4])
        index.add(np.array([5]), codes[20:21])  # replaced: its segment row is tombstoned
        index.remove(np.array([7]))
        for ref, row in ((19, 19), (5, 20), (0, 0), (12, 12)):  # pending, replaced, in segments
            assert np.array_equal(index.code_of(ref), codes[row])
        for gone in (7, 99, -1):
            with pytest.raises(KeyError, match=f"id {gone}"):
                index.code_of(gone)


def test_repeated_id_in_one_batch_keeps_the_last_code() -> None:
    index = PDQIndex()
    index.add(np.array([3, 3]), np.stack([np.zeros(32, np.uint8), np.full(32, 255, np.uint8)]))
    assert len(index) == 1
    ids, dists = index.search(np.full((1, 32), 255, np.uint8), 0)[0]
    assert list(ids) == [3] and list(dists) == [0]


def test_removing_unknown_ids_is_a_no_op() -> None:
    index = PDQIndex()
    index.remove(np.array([1, 2]))
    index.add(np.array([1]), np.zeros((1, 32), np.uint8))
    index.remove(np.array([99]))
    index.remove(np.array([], np.int64))
    assert len(index) == 1


def test_empty_index() -> None:
    index = PDQIndex()
    assert len(index) == 0
    results = index.search(np.zeros((3, 32), np.uint8), 256)
    assert [(len(i), len(d)) for i, d in results] == [(0, 0)] * 3
    assert index.search(np.zeros((0, 32), np.uint8)) == []


@pytest.mark.parametrize("radius", [-1, 257, 1000])
def test_radius_outside_0_to_256(radius: int) -> None:
    codes = clustered(2, 3, 10, max_flips=40)
    fast, slow = both(np.arange(len(codes)), codes)
    assert_same(fast.search(codes[:5], radius), slow.search(codes[:5], radius))
    assert_same_alone(fast, slow, codes[:5], radius)


@pytest.mark.parametrize(
    ("ids", "codes"),
    [
        (np.arange(2), np.zeros((2, 31), np.uint8)),
        (np.arange(2), np.zeros((2, 4, 8), np.uint8)),
        (np.arange(3), np.zeros((2, 32), np.uint8)),
        (np.zeros((2, 1), np.int64), np.zeros((2, 32), np.uint8)),
        (np.array([0.5, 1.5]), np.zeros((2, 32), np.uint8)),
    ],
)
def test_wrong_shapes_raise_value_error(ids: np.ndarray, codes: np.ndarray) -> None:
    with pytest.raises(ValueError):
        PDQIndex().add(ids, codes)


def test_wrong_query_shape_raises_value_error() -> None:
    with pytest.raises(ValueError):
        PDQIndex().search(np.zeros(32, np.uint8))
    with pytest.raises(ValueError):
        PDQIndex().search_code(bytes(31))
    with pytest.raises(ValueError):
        PDQIndex().search_batch(np.zeros((1, 33), np.uint8))


def test_batch_on_threads_equals_single_thread() -> None:
    codes = clustered(3, 20, 30, max_flips=40)
    queries = queries_near(3, codes, 100)
    with small_segments("tables", flush_rows=64):
        index, _ = both(np.arange(len(codes)), codes)
        assert_same(index.search_batch(queries, 31, threads=2), index.search(queries, 31))


def test_default_flush_size_and_auto_strategy() -> None:
    """Real segment sizes: a bulk add becomes a segment directly; small adds wait in the pending buffer."""
    rng = np.random.default_rng(4)
    codes = rng.integers(0, 256, (pdq_mih.FLUSH_ROWS + 500, 32), dtype=np.uint8)
    fast, slow = both(np.arange(len(codes)), codes)
    extra = clustered(4, 2, 20, max_flips=30)
    for index in (fast, slow):
        index.add(np.arange(len(extra)) + 10**6, extra)
        index.remove(np.arange(0, 3000, 2))
    queries = queries_near(4, np.concatenate([codes[:100], extra]), 20)
    for radius in (0, 31, 64):
        assert_same(fast.search(queries, radius), slow.search(queries, radius))


def test_rows_beyond_16_bits_in_one_segment() -> None:
    """Over 65 536 rows a row's high bits come from the Elias-Fano upper array: every table must decode them,
    for near codes spread over the whole segment, after removes, and with ids that need 8-byte offsets."""
    rng = np.random.default_rng(8)
    base = clustered(8, 2000, 40, max_flips=31)  # 82 000 rows
    ids = np.sort(rng.choice(2**40, len(base), replace=False)) * 2**22  # spans more than 2**32
    with small_segments("tables"):
        fast, slow = both(ids, base)
        assert len(fast._segments) == 1 and fast._segments[0].rows == len(base)
        queries = queries_near(8, base[-20000:], 40)
        assert_same(fast.search(queries, 31), slow.search(queries, 31))
        for index in (fast, slow):
            index.remove(ids[70000:70500])
        assert_same(fast.search(queries, 31), slow.search(queries, 31))


@pytest.mark.parametrize("mmap", [True, False])
def test_save_load_round_trip(tmp_path: Path, mmap: bool) -> None:
    codes = clustered(5, 10, 40, max_flips=40)
    queries = queries_near(5, codes, 30)
    with small_segments("tables", flush_rows=100):
        fast, slow = both(np.arange(len(codes)), codes)
        for index in (fast, slow):
            index.remove(np.arange(0, len(codes), 5))  # tombstones
            index.add(np.arange(20) + 10**6, codes[:20])  # pending buffer
        fast.save(tmp_path / "index.pdq")
        loaded = PDQIndex.load(tmp_path / "index.pdq", mmap=mmap)
        assert len(loaded) == len(slow)
        assert_same(loaded.search(queries, 31), slow.search(queries, 31))
        for index in (loaded, slow):  # a loaded index keeps taking updates, memory-mapped or not
            index.remove(np.arange(1, 200, 3))
            index.add(np.arange(300) + 2 * 10**6, codes[:300])
        assert_same(loaded.search(queries, 40), slow.search(queries, 40))
        loaded.save(tmp_path / "index.pdq")  # over the file it is mapped from
        assert_same(PDQIndex.load(tmp_path / "index.pdq").search(queries, 40), slow.search(queries, 40))


def test_empty_index_round_trip(tmp_path: Path) -> None:
    PDQIndex().save(tmp_path / "empty.pdq")
    assert len(PDQIndex.load(tmp_path / "empty.pdq")) == 0


def test_load_rejects_other_and_corrupt_files(tmp_path: Path) -> None:
    (tmp_path / "other").write_bytes(b"PK\x03\x04 not an index")
    with pytest.raises(ValueError, match="not a reclaim PDQ index"):
        PDQIndex.load(tmp_path / "other")
    codes = clustered(6, 2, 10, max_flips=10)
    with small_segments("auto", flush_rows=4):
        index, _ = both(np.arange(len(codes)), codes)
    index.save(tmp_path / "index.pdq")
    data = bytearray((tmp_path / "index.pdq").read_bytes())
    (tmp_path / "short.pdq").write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="outside the file"):
        PDQIndex.load(tmp_path / "short.pdq")
    index._segments[0].tables.offsets[3, 100:] += 1  # offsets no longer end at the row count
    index.save(tmp_path / "bad.pdq")
    with pytest.raises(ValueError, match="corrupt PDQ index"):
        PDQIndex.load(tmp_path / "bad.pdq")
