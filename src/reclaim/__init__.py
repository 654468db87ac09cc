"""Reclaim: find, prove and remove non-consensual intimate imagery.

The public API, re-exported from the modules that implement it (guarded by tests/meta/test_public_api.py).
Each name is imported on first use (PEP 562), so ``import reclaim`` and the CLI start without loading
SQLAlchemy, numba or the decoders until something needs them.
"""

import importlib as _importlib
import typing as _typing

if _typing.TYPE_CHECKING:
    from reclaim.banks import create_bank, export_hma_csv, import_hma_csv, list_banks, withdraw_content
    from reclaim.errors import ReclaimError
    from reclaim.hashing import FileHashes, HashFailure, hash_bytes, hash_file, hash_files
    from reclaim.matching.matcher import Matcher, MatchResult
    from reclaim.media import DecodedImage, Limits, decode_image
    from reclaim.models import BankKind, Match, MediaItem, MediaKind, SignalValue, Skipped
    from reclaim.scan.scanner import ScanReport, scan_folder, scan_source
    from reclaim.signals import Signal, all_signals, get_signal
    from reclaim.sources import FolderSource, Source
    from reclaim.store import Store, open_store

__version__ = "0.1.0"

# public name -> the module that implements it
_EXPORTS = {
    "reclaim.banks": ("create_bank", "export_hma_csv", "import_hma_csv", "list_banks", "withdraw_content"),
    "reclaim.errors": ("ReclaimError",),
    "reclaim.hashing": ("FileHashes", "HashFailure", "hash_bytes", "hash_file", "hash_files"),
    "reclaim.matching.matcher": ("MatchResult", "Matcher"),
    "reclaim.media": ("DecodedImage", "Limits", "decode_image"),
    "reclaim.models": ("BankKind", "Match", "MediaItem", "MediaKind", "SignalValue", "Skipped"),
    "reclaim.scan.scanner": ("ScanReport", "scan_folder", "scan_source"),
    "reclaim.signals": ("Signal", "all_signals", "get_signal"),
    "reclaim.sources": ("FolderSource", "Source"),
    "reclaim.store": ("Store", "open_store"),
}
_HOME = {name: module for module, names in _EXPORTS.items() for name in names}

__all__ = [
    "BankKind",
    "DecodedImage",
    "FileHashes",
    "FolderSource",
    "HashFailure",
    "Limits",
    "Match",
    "MatchResult",
    "Matcher",
    "MediaItem",
    "MediaKind",
    "ReclaimError",
    "ScanReport",
    "Signal",
    "SignalValue",
    "Skipped",
    "Source",
    "Store",
    "all_signals",
    "create_bank",
    "decode_image",
    "export_hma_csv",
    "get_signal",
    "hash_bytes",
    "hash_file",
    "hash_files",
    "import_hma_csv",
    "list_banks",
    "open_store",
    "scan_folder",
    "scan_source",
    "withdraw_content",
]


def __getattr__(name: str) -> object:
    """Import the module behind a public name the first time it is asked for."""
    if name not in _HOME:
        raise AttributeError(f"module 'reclaim' has no attribute {name!r}")
    value = getattr(_importlib.import_module(_HOME[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
