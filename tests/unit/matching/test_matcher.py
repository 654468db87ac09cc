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


def test_negative_bank_suppresses_other_matches_of_its_signal(banks: Store) -> None:
    with banks.session() as s:
        negative = create_bank(s, "fp", BankKind.NEGATIVE)
        add_content(s, negative, "stock-photo", [pdq(flip(BASE, 3))])
    with banks.session() as s:
        result = Matcher.from_store(s).match([pdq(BASE)])
    assert [(m.bank, m.content_id) for m in result.matches] == [("fp", "stock-photo")]
    assert {m.content_id for m in result.suppressed} == {"s1", "l1"}


SHA = "ab" * 32
MD5 = "cd" * 16


def sha256(value: str = SHA) -> SignalValue:
    return SignalValue("sha256", "1", value)


def md5(value: str = MD5) -> SignalValue:
    return SignalValue("md5", "1", value)


def outcome(store: Store, *values: SignalValue) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    with store.session() as s:
        result = Matcher.from_store(s).match(list(values))
    return ([(m.content_id, m.signal) for m in result.matches], [(m.content_id, m.signal) for m in result.suppressed])


def test_a_perceptual_negative_never_silences_an_exact_digest(store: Store) -> None:
    """The issue's case: the file's sha256 is in a known bank; a PDQ negative entry must not hide it."""
    with store.session() as s:
        known = create_bank(s, "known")
        add_content(s, known, "victim-photo", [sha256(), pdq(BASE)])
        add_content(s, known, "near-copy", [pdq(flip(BASE, 6))])
        add_content(s, create_bank(s, "fp", BankKind.NEGATIVE, pdq_threshold=31), "meme", [pdq(flip(BASE, 2))])
    kept, suppressed = outcome(store, sha256(), pdq(BASE))
    assert kept == [("victim-photo", "sha256"), ("meme", "pdq")]
    assert suppressed == [("near-copy", "pdq")]


def test_exact_negatives_silence_only_their_own_digest(store: Store) -> None:
    with store.session() as s:
        known = create_bank(s, "known")
        add_content(s, known, "by-sha", [sha256()])
        add_content(s, known, "by-md5", [md5()])
        add_content(s, known, "by-pdq", [pdq(BASE)])
        add_content(s, create_bank(s, "fp", BankKind.NEGATIVE), "benign-sha", [sha256()])
    kept, suppressed = outcome(store, sha256(), md5(), pdq(BASE))
    assert sorted(kept) == [("benign-sha", "sha256"), ("by-md5", "md5"), ("by-pdq", "pdq")]
    assert suppressed == [("by-sha", "sha256")]


def test_a_negative_of_another_signal_type_changes_nothing(store: Store) -> None:
    with store.session() as s:
        add_content(s, create_bank(s, "known"), "bad", [pdq(BASE)])
        add_content(s, create_bank(s, "fp", BankKind.NEGATIVE), "benign", [md5()])
    kept, suppressed = outcome(store, pdq(BASE))
    assert (kept, suppressed) == ([("bad", "pdq")], [])


def test_negative_thresholds_are_capped_at_the_signal_default(store: Store) -> None:
    """Two entries at threshold 128 used to silence all matching; now they reach only PDQ's default (31)."""
    with store.session() as s:
        add_content(s, create_bank(s, "known"), "bad", [pdq(BASE)])
        wide = create_bank(s, "fp", BankKind.NEGATIVE, pdq_threshold=128)
        add_content(s, wide, "far-1", [pdq(flip(BASE, 60))])
        add_content(s, wide, "near", [pdq(flip(BASE, 31))])
    kept, suppressed = outcome(store, pdq(flip(BASE, 100)))  # 40 from far-1, 69 from near, 100 from bad
    assert (kept, suppressed) == ([], [])
    kept, suppressed = outcome(store, pdq(BASE))  # near is 31 away: within the cap
    assert (kept, suppressed) == ([("near", "pdq")], [("bad", "pdq")])
    kept, suppressed = outcome(store, pdq(flip(BASE, 25)))  # far-1 is 35 away: past the cap
    assert ("far-1", "pdq") not in kept
    assert BankKind.NEGATIVE.threshold(128, 31) == 31 and BankKind.KNOWN.threshold(128, 31) == 128


def test_exact_digest_matches_rank_first_at_equal_distance(store: Store) -> None:
    sha = "ab" * 32
    with store.session() as s:
        bank = create_bank(s, "k")
        add_content(s, bank, "by-pdq", [pdq(BASE)])
        add_content(s, bank, "by-sha", [SignalValue("sha256", "1", sha)])
    with store.session() as s:
        result = Matcher.from_store(s).match([pdq(BASE), SignalValue("sha256", "1", sha)])
    assert [m.content_id for m in result.matches] == ["by-sha", "by-pdq"]
