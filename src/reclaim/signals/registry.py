"""The signals Reclaim knows, by name. Names are storage keys, so a duplicate is an error.

Opt-in signals (faces, keypoints) are computed only for callers that name them, and their modules are imported
only then: a plain hash does not pay for face or keypoint code at start-up (bench/startup.py).
"""

from __future__ import annotations

import importlib
from collections.abc import Collection

from reclaim.errors import NotFound
from reclaim.signals.base import Signal
from reclaim.signals.exact import MD5Signal, SHA256Signal
from reclaim.signals.pdq import PDQSignal
from reclaim.signals.vpdq import VPDQSignal

DEFAULT_SIGNALS: tuple[type[Signal], ...] = (SHA256Signal, MD5Signal, PDQSignal, VPDQSignal)
# name -> "module:class" of each opt-in signal, in the order they are listed after the default ones
OPT_IN_SIGNALS = {"face": "reclaim.signals.face:FaceSignal", "keypoints": "reclaim.signals.keypoints:KeypointsSignal"}

_SIGNALS: dict[str, Signal] = {}


def _add(cls: type[Signal], opt_in: bool) -> None:
    if cls.name in _SIGNALS:
        raise RuntimeError(f"two signals are named {cls.name!r}")
    if cls.opt_in != opt_in:
        raise RuntimeError(f"signal {cls.name!r} is listed as {'opt-in' if opt_in else 'default'} but says otherwise")
    _SIGNALS[cls.name] = cls()


def _load(name: str) -> Signal:
    """The opt-in signal ``name``, imported the first time it is asked for."""
    if name not in _SIGNALS:
        module, _, attr = OPT_IN_SIGNALS[name].partition(":")
        cls = getattr(importlib.import_module(module), attr)
        if cls.name != name:
            raise RuntimeError(f"{OPT_IN_SIGNALS[name]} is named {cls.name!r}, not {name!r}")
        _add(cls, opt_in=True)
    return _SIGNALS[name]


for _cls in DEFAULT_SIGNALS:
    _add(_cls, opt_in=False)


def all_signals(opt_in: Collection[str] = ()) -> list[Signal]:
    """The signals to compute by default, plus the opt-in ones named in ``opt_in``."""
    defaults = [_SIGNALS[cls.name] for cls in DEFAULT_SIGNALS]
    return defaults + [_load(name) for name in OPT_IN_SIGNALS if name in opt_in]


def signal_names() -> list[str]:
    return [cls.name for cls in DEFAULT_SIGNALS] + list(OPT_IN_SIGNALS)


def get_signal(name: str) -> Signal:
    if name in OPT_IN_SIGNALS:
        return _load(name)
    try:
        return _SIGNALS[name]
    except KeyError:
        raise NotFound(f"unknown signal type {name!r} (known: {', '.join(signal_names())})") from None
