"""The signals Reclaim knows, by name. Names are storage keys, so a duplicate is an error.

Opt-in signals (faces) are registered like the others but computed only for callers that name them.
"""

from __future__ import annotations

from collections.abc import Collection

from reclaim.errors import NotFound
from reclaim.signals.base import Signal
from reclaim.signals.exact import MD5Signal, SHA256Signal
from reclaim.signals.face import FaceSignal
from reclaim.signals.keypoints import KeypointsSignal
from reclaim.signals.pdq import PDQSignal
from reclaim.signals.vpdq import VPDQSignal

BUILTIN_SIGNALS: tuple[type[Signal], ...] = (
    SHA256Signal, MD5Signal, PDQSignal, VPDQSignal, FaceSignal, KeypointsSignal,
)


def _build() -> dict[str, Signal]:
    signals: dict[str, Signal] = {}
    for cls in BUILTIN_SIGNALS:
        if cls.name in signals:
            raise RuntimeError(f"two signals are named {cls.name!r}")
        signals[cls.name] = cls()
    return signals


_SIGNALS = _build()


def all_signals(opt_in: Collection[str] = ()) -> list[Signal]:
    """The signals to compute by default, plus the opt-in ones named in ``opt_in``."""
    return [s for s in _SIGNALS.values() if not s.opt_in or s.name in opt_in]


def signal_names() -> list[str]:
    return list(_SIGNALS)


def get_signal(name: str) -> Signal:
    try:
        return _SIGNALS[name]
    except KeyError:
        raise NotFound(f"unknown signal type {name!r} (known: {', '.join(_SIGNALS)})") from None
