"""A built ``KeypointIndex`` kept on disk, so a command opens a 10 k-image keypoint bank in seconds instead of
re-clustering and re-adding five million descriptors (~55 s) every time.

Only the FAISS structure and its row owners are stored; the known images' features still come from the
database (verification needs them). The file is stamped with a digest of the refs it was built from (bank
signal row ids, which never change content) and of the layout constants: any bank change — an image added,
withdrawn, or another choice of banks — gives another stamp, so the stale file is ignored and replaced.
A missing, foreign or corrupt file is the same as no file: the index is built again. Deleting it is safe.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from reclaim._files import atomic_writer

if TYPE_CHECKING:
    import faiss

FORMAT = b"reclaim-keypoint-index-1"


def stamp(refs: Iterable[int], *layout: object) -> str:
    """What the index was built from: the sorted refs and the constants that shape it."""
    digest = hashlib.sha256(FORMAT + repr(layout).encode())
    digest.update(np.sort(np.fromiter(refs, np.int64)).tobytes())
    return digest.hexdigest()


def save(path: Path, key: str, faiss_index: faiss.IndexBinary, owners: np.ndarray) -> None:
    """Write atomically (a reader never sees half a file)."""
    import faiss

    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_writer(path, 0o644, durable=False) as out:  # a cache: rebuilt if a crash loses it
        np.savez(out, stamp=np.frombuffer(key.encode(), np.uint8), owners=owners,
                 index=faiss.serialize_index_binary(faiss_index))


def load(path: Path, key: str) -> tuple[faiss.IndexBinary, np.ndarray] | None:
    """(faiss index, owners) if ``path`` holds the index stamped ``key``; otherwise None."""
    import faiss

    try:
        with np.load(path, allow_pickle=False) as data:
            if data["stamp"].tobytes().decode() != key:
                return None
            return faiss.deserialize_index_binary(data["index"]), data["owners"]
    except (OSError, ValueError, KeyError, RuntimeError, UnicodeDecodeError):
        return None
