"""What every registered signal promises: a unique storage name, a version, a text form that round-trips,
refusal of garbage, and a distance that is zero on itself and symmetric."""

from __future__ import annotations

import pytest

from reclaim.errors import InvalidHash, SignalError, UserError
from reclaim.media import decode_image
from reclaim.models import MediaKind
from reclaim.signals import Media, Signal, all_signals
from reclaim.signals.registry import signal_names
from reclaim.synthetic.scenes import composite, jpeg_bytes

SIGNALS = all_signals(opt_in=signal_names())  # the opt-in ones promise the same


def test_names_are_unique() -> None:
    names = [s.name for s in SIGNALS]
    assert len(names) == len(set(names)) and all(names)
    assert names == signal_names()  # each lazily imported opt-in signal is the one its name promises


@pytest.fixture(params=SIGNALS, ids=lambda s: s.name)
def signal(request: pytest.FixtureRequest) -> Signal:
    return request.param


def test_version_is_set(signal: Signal) -> None:
    assert isinstance(signal.version, str) and signal.version.strip()


def test_examples_round_trip(signal: Signal) -> None:
    examples = signal.examples()
    assert examples
    for text in examples:
        assert signal.parse(text) == text  # examples are in the canonical form
        assert signal.parse(f"  {text.upper()}\n") == text  # and anything that normalises to it parses


@pytest.mark.parametrize("garbage", ["", "   ", "not a hash", "g", "\u00e9" * 8])
def test_parse_rejects_garbage(signal: Signal, garbage: str) -> None:
    with pytest.raises(InvalidHash):
        signal.parse(garbage)


def test_parse_rejects_wrong_length_and_non_hex(signal: Signal) -> None:
    example = signal.examples()[0]
    for text in (example[:-1], example + "0", "z" + example[1:]):
        with pytest.raises(InvalidHash):
            signal.parse(text)


def test_distance_is_zero_on_itself_and_symmetric(signal: Signal) -> None:
    examples = signal.examples()
    for a in examples:
        assert signal.distance(a, a) == 0
        for b in examples:
            assert signal.distance(a, b) == signal.distance(b, a) >= 0


def test_compute_on_a_photo_records_name_and_version(signal: Signal, faces: dict) -> None:
    if MediaKind.PHOTO not in signal.media_kinds:
        pytest.skip(f"{signal.name} does not hash photos")
    data = jpeg_bytes(composite(faces["astronaut"], seed=1))
    try:
        values = signal.compute(Media("photo.jpg", data, decode_image(data, "photo.jpg")))
    except (SignalError, UserError) as exc:  # faces and keypoints refuse with a UserError naming the extra
        if "pip install" not in str(exc):
            raise
        pytest.skip(str(exc))  # an optional extra that is not installed here
    assert values
    for value in values:
        assert (value.signal, value.version) == (signal.name, signal.version)
        assert signal.parse(value.value) == value.value
