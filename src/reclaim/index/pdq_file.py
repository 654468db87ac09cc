"""The on-disk format of a ``PDQIndex``: one file of named numpy arrays behind a JSON header, never pickle.

Layout (all integers little-endian)::

    bytes 0..7     magic  b"RCLPDQ\\x00\\x01"
    bytes 8..15    H, the header's length in bytes (uint64)
    bytes 16..     header, UTF-8 JSON: {"format": "reclaim-pdq-mih", "version": 3,
                   "arrays": {name: {"dtype": "<u8", "shape": [n, 4], "offset": k}, ...}}
    data           starts at the first multiple of 64 at or after 16 + H; array ``name`` is the C-order bytes
                   at data + offset (offsets are multiples of 64, so memory-mapped arrays stay aligned)

Only plain integer and bool dtypes are accepted. The file is written to a temporary name and renamed over
``path``, so a reader (or a memory map of the previous file) never sees a half-written index.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from reclaim._files import atomic_writer

MAGIC = b"RCLPDQ\x00\x01"
FORMAT, VERSION = "reclaim-pdq-mih", 3  # 3: 2-byte inline next chunk, Elias-Fano rows, 4-byte ids, alive bits
ALIGN = 64
DTYPES = frozenset({"|b1", "|u1", "<i2", "<u2", "<u4", "<i8", "<u8"})


def _aligned(offset: int) -> int:
    return -(-offset // ALIGN) * ALIGN


def write_arrays(path: str | Path, arrays: dict[str, np.ndarray]) -> None:
    """Write ``arrays`` to ``path`` atomically in the format above."""
    path = Path(path)
    entries: dict[str, dict[str, Any]] = {}
    offset = 0
    for name, array in arrays.items():
        entries[name] = {"dtype": array.dtype.str, "shape": list(array.shape), "offset": offset}
        offset = _aligned(offset + array.nbytes)
    header = json.dumps({"format": FORMAT, "version": VERSION, "arrays": entries}).encode()
    data_start = _aligned(len(MAGIC) + 8 + len(header))
    with atomic_writer(path, 0o644, durable=False) as f:  # a cache: rebuilt if a crash loses it
        f.write(MAGIC + len(header).to_bytes(8, "little") + header)
        for name, array in arrays.items():
            f.write(b"\0" * (data_start + entries[name]["offset"] - f.tell()))
            np.ascontiguousarray(array).tofile(f)


def read_arrays(path: str | Path, *, mmap: bool) -> dict[str, np.ndarray]:
    """The arrays of an index file, memory-mapped read-only if ``mmap`` (pages load as searches touch them)."""
    path = Path(path)
    size = path.stat().st_size
    with path.open("rb") as f:
        if f.read(len(MAGIC)) != MAGIC:
            raise ValueError(f"{path}: not a reclaim PDQ index file")
        header = json.loads(f.read(int.from_bytes(f.read(8), "little")))
        if header.get("format") != FORMAT or header.get("version") != VERSION:
            raise ValueError(f"{path}: unsupported index format {header.get('format')!r} {header.get('version')!r}")
        data_start = _aligned(f.tell())
        arrays = {}
        for name, entry in header["arrays"].items():
            if entry["dtype"] not in DTYPES:
                raise ValueError(f"{path}: array {name!r} has unsupported dtype {entry['dtype']!r}")
            dtype, shape = np.dtype(entry["dtype"]), tuple(int(d) for d in entry["shape"])
            start, count = data_start + int(entry["offset"]), int(np.prod(shape))
            if min(shape, default=0) < 0 or start + count * dtype.itemsize > size:
                raise ValueError(f"{path}: array {name!r} lies outside the file")
            if count == 0:
                arrays[name] = np.empty(shape, dtype)
            elif mmap:
                arrays[name] = np.asarray(np.memmap(path, dtype, "r", start, shape))
            else:
                f.seek(start)
                arrays[name] = np.fromfile(f, dtype, count).reshape(shape)
    return arrays
