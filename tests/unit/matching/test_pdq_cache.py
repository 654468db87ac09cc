"""The on-disk PDQ index shared by all banks: built once, then brought up to date by a diff on every open."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from reclaim.banks import add_content, create_bank, withdraw_content
from reclaim.banks.service import reinstate_content
from reclaim.index.pdq_mih import PDQIndex
from reclaim.matching import pdq_cache
from reclaim.matching.matcher import Matcher
from reclaim.matching.pdq_cache import cache_path
from reclaim.models import SignalValue
from reclaim.store import Store, open_store
from reclaim.store.models import Bank, BankContent, ContentSignal

RNG = np.random.default_rng(11)
HASHES = [bytes(RNG.integers(0, 256, 32, dtype=np.uint8)).hex() for _ in range(40)]


def pdq(value: str, quality: int = 100) -> SignalValue:
    return SignalValue("pdq", "1", value, quality)


def near(value: str, bits: int) -> str:
    """``value`` with its last ``bits`` bits flipped."""
    return f"{int(value, 16) ^ ((1 << bits) - 1):064x}"


@pytest.fixture
def fetched(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many hashes each open adds to the cached index (the cache exists to keep that at what changed)."""
    counts: list[int] = []
    real = pdq_cache._add

    def counting(index, rows, found):  # type: ignore[no-untyped-def]
        rows, added = real(index, rows, found)
        counts.append(added)
        return rows, added

    monkeypatch.setattr(pdq_cache, "_add", counting)
    return counts


def fill(store: Store, bank: str, hashes: list[str], start: int = 0) -> None:
    with store.session() as s:
        created = create_bank(s, bank) if start == 0 else s.query(Bank).filter_by(name=bank).one()
        for k, value in enumerate(hashes):
            add_content(s, created, f"{bank}-{start + k}", [pdq(value)])


def matched(store: Store, value: str, banks: tuple[str, ...] = ()) -> list[tuple[str, str, float]]:
    with store.session() as s:
        matcher = Matcher.from_store(s, banks)
    return [(m.bank, m.content_id, m.distance) for m in matcher.match([pdq(value)]).matches]


def test_first_open_builds_the_cache_and_later_opens_read_nothing_again(store: Store, fetched: list[int]) -> None:
    fill(store, "known", HASHES[:30])
    assert matched(store, near(HASHES[3], 5)) == [("known", "known-3", 5)]
    with store.session() as s:
        path = cache_path(s)
    assert path.is_file() and len(PDQIndex.load(path)) == 30
    assert matched(store, HASHES[29]) == [("known", "known-29", 0)]
    assert fetched == [30, 0]


def test_adds_and_withdrawals_show_in_the_next_open_by_diff(store: Store, fetched: list[int]) -> None:
    fill(store, "known", HASHES[:20])
    assert matched(store, HASHES[0])
    fill(store, "known", HASHES[20:22], start=20)
    with store.session() as s:
        withdraw_content(s, "known", "known-0")
    assert matched(store, HASHES[0]) == []
    assert matched(store, HASHES[21]) == [("known", "known-21", 0)]
    assert fetched == [20, 2, 2]  # only the two new hashes are read, and the file is not rewritten for them


def test_a_large_diff_rewrites_the_file(store: Store, fetched: list[int], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pdq_cache, "RESAVE_ROWS", 3)
    fill(store, "known", HASHES[:10])
    matched(store, HASHES[0])
    fill(store, "known", HASHES[10:14], start=10)
    matched(store, HASHES[0])
    assert matched(store, HASHES[13]) == [("known", "known-13", 0)]
    assert fetched == [10, 4, 0]


def test_one_index_serves_every_bank_and_bank_filters_apply_after_search(store: Store) -> None:
    fill(store, "a", HASHES[:5])
    fill(store, "b", [HASHES[0]])
    with store.session() as s:
        s.query(Bank).filter_by(name="b").one().pdq_threshold = 4
    assert sorted(matched(store, near(HASHES[0], 3))) == [("a", "a-0", 3), ("b", "b-0", 3)]
    assert matched(store, near(HASHES[0], 6)) == [("a", "a-0", 6)]  # beyond b's own threshold
    assert matched(store, HASHES[0], ("b",)) == [("b", "b-0", 0)]
    with store.session() as s:
        assert len(Matcher.from_store(s, ("b",))) == 1 and len(Matcher.from_store(s)) == 6


def test_hashes_under_their_banks_quality_floor_never_match(store: Store) -> None:
    with store.session() as s:
        bank = create_bank(s, "known")
        add_content(s, bank, "blurry", [pdq(HASHES[0], quality=20)])
    assert matched(store, HASHES[0]) == []


def test_a_damaged_cache_is_rebuilt(store: Store) -> None:
    fill(store, "known", HASHES[:5])
    matched(store, HASHES[0])
    with store.session() as s:
        path = cache_path(s)
    path.write_bytes(path.read_bytes()[:100])
    assert matched(store, HASHES[4]) == [("known", "known-4", 0)]


def test_a_reinstated_hash_is_found_by_the_stamp_check(
    store: Store, fetched: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reinstating sets ``withdrawn_at`` back to NULL, which neither quick query sees: the stamp must."""
    monkeypatch.setattr(pdq_cache, "RESAVE_ROWS", 1)
    fill(store, "known", HASHES[:5])
    with store.session() as s:
        withdraw_content(s, "known", "known-2")
    assert matched(store, HASHES[2]) == []
    with store.session() as s:
        reinstate_content(s, s.query(BankContent).filter_by(content_id="known-2").one())
    assert matched(store, HASHES[2]) == [("known", "known-2", 0)]
    assert fetched == [4, 0, 1]  # the reconciliation added exactly the reinstated hash


def test_a_database_made_anew_at_the_same_url_gets_its_own_cache(store: Store, tmp_path: Path) -> None:
    """Its ids start over, so the old cache would pair them with the old hashes."""
    fill(store, "known", HASHES[:3])
    assert matched(store, HASHES[0]) == [("known", "known-0", 0)]
    with store.session() as s:
        old = cache_path(s)
    url = f"sqlite:///{tmp_path / 'again.db'}"
    for attempt in (HASHES[:3], HASHES[10:13]):
        (tmp_path / "again.db").unlink(missing_ok=True)
        with open_store(url) as again:
            fill(again, "known", attempt)
            assert matched(again, attempt[0]) == [("known", "known-0", 0)]
            assert matched(again, HASHES[1] if attempt[0] != HASHES[0] else HASHES[11]) == []
            with again.session() as s:
                assert cache_path(s) != old
    assert len(list((tmp_path / "cache").glob("pdq-*.pdq"))) == 1  # the first database's cache was dropped


def test_a_hit_is_answered_from_the_cache_with_what_the_database_held(store: Store) -> None:
    """Content id, version and banked value come from the cache file: the rows can go and the match stays."""
    with store.session() as s:
        bank = create_bank(s, "known")
        add_content(s, bank, "피해자-사진-1", [pdq(HASHES[0])])
        add_content(s, bank, "old-hasher", [SignalValue("pdq", "0.9", HASHES[1], 100)])
    with store.session() as s:
        matcher = Matcher.from_store(s)
    with store.session() as s:  # the database forgets everything; the open matcher must not need it
        s.query(ContentSignal).delete()
        s.query(BankContent).delete()
    [hit] = matcher.match([pdq(near(HASHES[0], 4))]).matches
    assert (hit.content_id, hit.value, hit.distance) == ("피해자-사진-1", HASHES[0], 4)
    assert matcher.match([pdq(HASHES[1])]).matches == []  # a hash of another PDQ version is not comparable
    [old] = matcher.match([SignalValue("pdq", "0.9", HASHES[1], 100)]).matches
    assert old.content_id == "old-hasher"
