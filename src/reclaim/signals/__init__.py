"""Hash algorithms behind one interface; see base.Signal."""

from reclaim.signals.base import Media, Signal
from reclaim.signals.registry import all_signals, get_signal

__all__ = ["Media", "Signal", "all_signals", "get_signal"]
