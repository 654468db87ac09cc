"""Matching rules: per-bank thresholds, the quality floor, negative banks, best-first order, versions."""

import pytest

from reclaim.banks import add_content, create_bank
from reclaim.matching.matcher import Matcher
from reclaim.models import BankKind, SignalValue
from reclaim.store import Store

BASE = "2d6b1af3a956c529e79ca3d2526fa834d4196c81cedd04de0a26b855fc99b724"


def flip(value: str, bits: int) -> str:
    """``value`` with its lowest ``bits`` bits inverted: exactly ``bits`` away."""
    return f"{int(value, 16) ^ ((1 << bits) - 1):064x}"


def pdq(value: str, quality: int = 100, version: str = "1") -> SignalValue:
    return SignalValue("pdq", version, value, quality)


@pytest.fixture
def banks(store: Store) -> Store:
    with store.session() as s:
        strict = create_bank(s, "strict", BankKind.KNOWN, pdq_threshold=10)
        loose = create_bank(s, "loose", BankKind.KNOWN, pdq_threshold=31)
        add_content(s, strict, "s1", [pdq(BASE)])
        add_content(s, loose, "l1", [pdq(flip(BASE, 5))])
        add_content(s, loose, "low-quality", [pdq(flip(BASE, 200), quality=20)])
    return store


def matches(store: Store, value: SignalValue, *names: str) -> list[tuple[str, str, float]]:
    with store.session() as s:
        result = Matcher.from_store(s, names).match([value])
    return [(m.bank, m.content_id, m.distance) for m in result.matches]


def test_each_bank_applies_its_own_threshold(banks: Store) -> None:
    assert matches(banks, pdq(flip(BASE, 20))) == [("loose", "l1", 15)]
    assert matches(banks, pdq(flip(BASE, 10))) == [("loose", "l1", 5), ("strict", "s1", 10)]
    assert matches(banks, pdq(flip(BASE, 11))) == [("loose", "l1", 6)]


def test_threshold_is_inclusive_at_31(banks: Store) -> None:
    assert matches(banks, pdq(flip(BASE, 36))) == [("loose", "l1", 31)]
    assert matches(banks, pdq(flip(BASE, 37))) == []


def test_low_quality_hashes_are_ignored_on_both_sides(banks: Store) -> None:
    assert matches(banks, pdq(BASE, quality=49)) == []
    assert matches(banks, pdq(flip(BASE, 200))) == []  # the stored hash has quality 20


def test_bank_filter(banks: Store) -> None:
    assert matches(banks, pdq(BASE), "strict") == [("strict", "s1", 0)]


def test_other_signal_versions_never_mix(banks: Store) -> None:
    assert matches(banks, pdq(BASE, version="2")) == []


def test_negative_bank_suppresses_other_matches(banks: Store) -> None:
    with banks.session() as s:
        negative = create_bank(s, "fp", BankKind.NEGATIVE)
        add_content(s, negative, "stock-photo", [pdq(flip(BASE, 3))])
    with banks.session() as s:
        result = Matcher.from_store(s).match([pdq(BASE)])
    assert [(m.bank, m.content_id) for m in result.matches] == [("fp", "stock-photo")]
    assert {m.content_id for m in result.suppressed} == {"s1", "l1"}


def test_exact_digest_matches_rank_first_at_equal_distance(store: Store) -> None:
    sha = "ab" * 32
    with store.session() as s:
        bank = create_bank(s, "k")
        add_content(s, bank, "by-pdq", [pdq(BASE)])
        add_content(s, bank, "by-sha", [SignalValue("sha256", "1", sha)])
    with store.session() as s:
        result = Matcher.from_store(s).match([pdq(BASE), SignalValue("sha256", "1", sha)])
    assert [m.content_id for m in result.matches] == ["by-sha", "by-pdq"]
