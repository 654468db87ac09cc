"""The signals Reclaim knows, by name. Names are storage keys, so a duplicate is an error."""

from __future__ import annotations

from reclaim.errors import NotFound
from reclaim.signals.base import Signal
from reclaim.signals.exact import MD5Signal, SHA256Signal
from reclaim.signals.pdq import PDQSignal
from reclaim.signals.vpdq import VPDQSignal

BUILTIN_SIGNALS: tuple[type[Signal], ...] = (SHA256Signal, MD5Signal, PDQSignal, VPDQSignal)


def _build() -> dict[str, Signal]:
    signals: dict[str, Signal] = {}
    for cls in BUILTIN_SIGNALS:
        if cls.name in signals:
            raise RuntimeError(f"two signals are named {cls.name!r}")
        signals[cls.name] = cls()
    return signals


_SIGNALS = _build()


def all_signals() -> list[Signal]:
    return list(_SIGNALS.values())


def get_signal(name: str) -> Signal:
    try:
        return _SIGNALS[name]
    except KeyError:
        raise NotFound(f"unknown signal type {name!r} (known: {', '.join(_SIGNALS)})") from None
