"""One immutable run of codes with its 16 chunk tables, plus tombstones: the unit ``PDQIndex`` builds and merges.

Rows are sorted by id, so an id is found by binary search (no hash map: at 10 M entries a Python dict would
outweigh the index). A segment never changes except for its ``alive`` flags; adds go into new segments and
merging builds a fresh one.
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from reclaim.index import pdq_kernels as kernels

# Row numbers are stored as uint16 + uint8 (5 bytes per table entry with the inline chunk), hence 2**24 rows.
MAX_ROWS = 1 << 24

# Every 16-bit flip pattern, fewest bits first: probing radius rho uses the first PROBES[rho] of them.
MASKS = np.argsort(np.bitwise_count(np.arange(kernels.CHUNK_VALUES, dtype=np.uint16)), kind="stable")
WEIGHTS = np.bitwise_count(MASKS).astype(np.int64)
PROBES = np.searchsorted(WEIGHTS, np.arange(kernels.CHUNKS + 1), side="right")

# Measured costs (ns) on a 2-core EPYC: one bucket probe, one inline entry scanned, one row verified at random,
# one row scanned linearly. Only their ratios matter; they pick the cheaper exact strategy per segment.
PROBE_NS, ENTRY_NS, VERIFY_NS, SCAN_NS = 11.0, 3.0, 50.0, 2.0


def _passing_per_bucket(radius: int) -> float:
    """Expected entries per table that pass the inline pre-filter, in units of one bucket's size.

    An entry in a bucket probed with a weight-w mask passes if its next chunk differs from the query's in at most
    radius // 8 - w bits, which for unrelated codes happens with probability sum(C(16, b), b <= that) / 2**16;
    there are C(16, w) such masks.
    """
    rho, t2 = radius // kernels.CHUNKS, radius // 8
    return (
        sum(
            math.comb(kernels.CHUNKS, w) * sum(math.comb(16, b) for b in range(min(t2 - w, 16) + 1))
            for w in range(min(rho, kernels.CHUNKS) + 1)
        )
        / kernels.CHUNK_VALUES
    )


PASSING = np.array([_passing_per_bucket(r) for r in range(kernels.CODE_BITS + 1)])


def prefers_scan(rows: int, radius: int) -> bool:
    """True if scanning ``rows`` codes linearly is expected to beat probing the tables at ``radius``."""
    rho = radius // kernels.CHUNKS
    if rho >= kernels.CHUNKS:
        return True
    per_bucket = rows / kernels.CHUNK_VALUES
    probes = kernels.CHUNKS * int(PROBES[rho])
    tables = probes * (PROBE_NS + per_bucket * ENTRY_NS) + kernels.CHUNKS * per_bucket * PASSING[radius] * VERIFY_NS
    return rows * SCAN_NS < tables


@dataclass
class Tables:
    """The 16 CSR tables of a segment; arrays are (16, ...) so table ``t`` is row ``t``."""

    offsets: np.ndarray  # (16, 65537) uint32: bucket v of table t is offsets[t, v]:offsets[t, v + 1]
    inline: np.ndarray  # (16, n) uint16: chunk (t + 1) % 16 of the entry's row, the scan-time pre-filter
    lo: np.ndarray  # (16, n) uint16: low 16 bits of the entry's row
    hi: np.ndarray  # (16, n) uint8: high 8 bits of the entry's row

    @classmethod
    def build(cls, codes: np.ndarray, threads: int) -> Tables:
        n = len(codes)
        tables = cls(
            offsets=np.empty((kernels.CHUNKS, kernels.CHUNK_VALUES + 1), np.uint32),
            inline=np.empty((kernels.CHUNKS, n), np.uint16),
            lo=np.empty((kernels.CHUNKS, n), np.uint16),
            hi=np.empty((kernels.CHUNKS, n), np.uint8),
        )

        def fill(t: int) -> None:
            kernels.build_table(codes, t, tables.offsets[t], tables.inline[t], tables.lo[t], tables.hi[t])

        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(fill, range(kernels.CHUNKS)))
        return tables


@dataclass
class Segment:
    ids: np.ndarray  # (n,) int64, strictly ascending
    codes: np.ndarray  # (n, 4) uint64, row-aligned with ids
    alive: np.ndarray  # (n,) bool; False marks a removed (tombstoned) row
    tables: Tables
    live: int

    @classmethod
    def build(cls, ids: np.ndarray, codes: np.ndarray, threads: int) -> Segment:
        """A segment over unique ``ids`` (any order) and their (n, 4) uint64 ``codes``."""
        if len(ids) > MAX_ROWS:
            raise ValueError(f"a segment holds at most {MAX_ROWS} rows, got {len(ids)}")
        if np.any(ids[1:] <= ids[:-1]):
            order = np.argsort(ids)
            ids, codes = ids[order], codes[order]
        codes = np.ascontiguousarray(codes)
        return cls(ids, codes, np.ones(len(ids), bool), Tables.build(codes, threads), len(ids))

    @classmethod
    def restore(cls, arrays: dict[str, np.ndarray]) -> Segment:
        """A segment from saved arrays, checked enough that the kernels cannot read outside them."""
        ids, codes, alive = arrays["ids"], arrays["codes"], arrays["alive"]
        t = Tables(arrays["offsets"], arrays["inline"], arrays["lo"], arrays["hi"])
        n = len(ids)
        shapes_ok = (
            ids.dtype == np.int64 and ids.ndim == 1 and 0 < n <= MAX_ROWS
            and codes.dtype == np.uint64 and codes.shape == (n, 4)
            and alive.dtype == bool and alive.shape == (n,)
            and t.offsets.dtype == np.uint32 and t.offsets.shape == (kernels.CHUNKS, kernels.CHUNK_VALUES + 1)
            and all(a.shape == (kernels.CHUNKS, n) for a in (t.inline, t.lo, t.hi))
            and (t.inline.dtype, t.lo.dtype, t.hi.dtype) == (np.uint16, np.uint16, np.uint8)
        )  # fmt: skip
        if not shapes_ok:
            raise ValueError("corrupt PDQ index: segment arrays have inconsistent shapes or types")
        if np.any(ids[1:] <= ids[:-1]) or np.any(t.offsets[:, 0] != 0) or np.any(t.offsets[:, 1:] < t.offsets[:, :-1]):
            raise ValueError("corrupt PDQ index: ids not ascending or table offsets not monotone")
        if np.any(t.offsets[:, -1] != n):
            raise ValueError("corrupt PDQ index: table offsets do not cover the rows")
        alive = alive.copy()  # writable even when the rest is memory-mapped
        return cls(ids, codes, alive, t, int(alive.sum()))

    def arrays(self) -> dict[str, np.ndarray]:
        """The arrays ``restore`` takes back."""
        t = self.tables
        return {"ids": self.ids, "codes": self.codes, "alive": self.alive,
                "offsets": t.offsets, "inline": t.inline, "lo": t.lo, "hi": t.hi}  # fmt: skip

    @classmethod
    def merge(cls, parts: list[Segment], threads: int) -> Segment:
        """One segment holding the live rows of ``parts``."""
        ids = np.concatenate([p.ids[p.alive] for p in parts])
        codes = np.concatenate([p.codes[p.alive] for p in parts])
        return cls.build(ids, codes, threads)

    @property
    def rows(self) -> int:
        return len(self.ids)

    def remove(self, ids: np.ndarray) -> None:
        """Tombstone the rows of ``ids`` (sorted, unique); ids not here are ignored."""
        at = np.minimum(np.searchsorted(self.ids, ids), self.rows - 1)
        at = at[(self.ids[at] == ids) & self.alive[at]]
        self.alive[at] = False
        self.live -= len(at)

    def search(self, queries: np.ndarray, radius: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(per-query counts, ids, distances) within ``radius``, by whichever exact strategy is cheaper."""
        if prefers_scan(self.rows, radius):
            counts, rows, dists = kernels.search_linear(queries, radius, self.codes, self.alive)
        else:
            probes = int(PROBES[radius // kernels.CHUNKS])
            t = self.tables
            counts, rows, dists = kernels.search_tables(
                queries, radius, MASKS[:probes], WEIGHTS[:probes], self.codes, self.alive,
                t.offsets, t.inline, t.lo, t.hi,
            )  # fmt: skip
        return counts, self.ids[rows], dists
