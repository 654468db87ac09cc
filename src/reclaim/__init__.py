"""Reclaim: find, prove and remove non-consensual intimate imagery.

The public API, re-exported from the modules that implement it (guarded by tests/meta/test_public_api.py).
"""

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
