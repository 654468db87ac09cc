"""One immutable run of codes with its 16 chunk tables, plus tombstones: the unit ``PDQIndex`` builds and merges.

Rows are sorted by id, so an id is found by binary search (no hash map: at 10 M entries a Python dict would
outweigh the index). A segment never changes except for its ``alive`` flags; adds go into new segments and
merging builds a fresh one.
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from reclaim.index import pdq_kernels as kernels

# Rows per segment: bounds the Elias-Fano upper bits (H = 256 per bucket) and the cost of one merge.
MAX_ROWS = 1 << 24

# Every 16-bit flip pattern, fewest bits first: probing radius rho uses the first PROBES[rho] of them.
MASKS = np.argsort(np.bitwise_count(np.arange(kernels.CHUNK_VALUES, dtype=np.uint16)), kind="stable")
WEIGHTS = np.bitwise_count(MASKS).astype(np.int64)
PROBES = np.searchsorted(WEIGHTS, np.arange(kernels.CHUNKS + 1), side="right")

# Measured costs (ns) on a 2-core EPYC: one bucket probe, one inline entry scanned, one row verified at random,
# one row scanned linearly. Only their ratios matter; they pick the cheaper exact strategy per segment.
PROBE_NS, ENTRY_NS, VERIFY_NS, SCAN_NS = 11.0, 3.0, 50.0, 2.0


def _passing_per_bucket(radius: int) -> float:
    """Expected entries per table that pass the pair test while scanning, in units of one bucket's size.

    An entry in a bucket probed with a weight-w mask passes if its next chunk differs from the query's in at
    most radius // 8 - w bits, which for unrelated codes happens with probability
    sum(C(16, b), b <= that) / 2**16; there are C(16, w) such masks.
    """
    rho, t2 = radius // kernels.CHUNKS, radius // 8
    bits = kernels.CHUNK_VALUES.bit_length() - 1
    return (
        sum(
            math.comb(kernels.CHUNKS, w) * sum(math.comb(bits, b) for b in range(min(t2 - w, bits) + 1))
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
    return bool(rows * SCAN_NS < tables)


@dataclass
class Tables:
    """The 16 CSR tables of a segment; arrays are (16, ...) so table ``t`` is row ``t``.

    An entry costs 4.25 bytes: the next chunk inline, 16 low bits of its row, and about two upper bits (see
    ``pdq_kernels.build_table``), so 68 bytes per code over the 16 tables.
    """

    offsets: np.ndarray  # (16, 65537) uint32: bucket v of table t is offsets[t, v]:offsets[t, v + 1]
    inline: np.ndarray  # (16, n) uint16: chunk (t + 1) % 16 of the entry's row, for the pair test while scanning
    lo: np.ndarray  # (16, n) uint16: low 16 bits of the entry's row
    upper: np.ndarray  # (16, upper_words(n)) uint64: the rows' high bits, Elias-Fano upper half

    @classmethod
    def build(cls, codes: np.ndarray, threads: int) -> Tables:
        n = len(codes)
        tables = cls(
            offsets=np.empty((kernels.CHUNKS, kernels.CHUNK_VALUES + 1), np.uint32),
            inline=np.empty((kernels.CHUNKS, n), np.uint16),
            lo=np.empty((kernels.CHUNKS, n), np.uint16),
            upper=np.zeros((kernels.CHUNKS, kernels.upper_words(n)), np.uint64),
        )

        def fill(t: int) -> None:
            kernels.build_table(codes, t, tables.offsets[t], tables.inline[t], tables.lo[t], tables.upper[t])

        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(fill, range(kernels.CHUNKS)))
        return tables


@dataclass
class IdColumn:
    """Ascending int64 ids stored as offsets from the first, in 4 bytes each when they fit (they nearly always
    do: bank ids are database keys), else 8."""

    base: int
    offsets: np.ndarray  # (n,) uint32 or uint64, ascending

    @classmethod
    def of(cls, ids: np.ndarray) -> IdColumn:
        base = int(ids[0]) if len(ids) else 0
        offsets = ids.view(np.uint64) - np.uint64(base & 0xFFFFFFFFFFFFFFFF)
        if len(ids) and int(offsets[-1]) < 1 << 32:
            offsets = offsets.astype(np.uint32)
        return cls(base, offsets)

    def __len__(self) -> int:
        return len(self.offsets)

    def __getitem__(self, rows: np.ndarray) -> np.ndarray:
        """The ids at ``rows`` (an index array or mask) as int64."""
        ids: np.ndarray = (self.offsets[rows].astype(np.uint64) + np.uint64(self.base & 0xFFFFFFFFFFFFFFFF))
        return ids.view(np.int64)

    def find(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(rows, found): where each of ``ids`` (sorted) is, and whether it is here at all."""
        if len(self) == 0:
            return np.zeros(len(ids), np.int64), np.zeros(len(ids), bool)
        wanted = ids.view(np.uint64) - np.uint64(self.base & 0xFFFFFFFFFFFFFFFF)
        inside = (ids >= self.base) & (wanted <= np.uint64(self.offsets[-1]))
        at = np.minimum(np.searchsorted(self.offsets, wanted[inside].astype(self.offsets.dtype)), len(self) - 1)
        rows = np.zeros(len(ids), np.int64)
        rows[inside] = at
        found = np.zeros(len(ids), bool)
        found[inside] = self.offsets[at] == wanted[inside]
        return rows, found


@dataclass
class Segment:
    ids: IdColumn  # ascending
    codes: np.ndarray  # (n, 4) uint64, row-aligned with ids
    alive: np.ndarray  # (ceil(n / 8),) uint8, a bit per row (pdq_kernels.is_alive); 0 marks a removed row
    tables: Tables
    live: int
    # radius -> the kernel arguments after (queries, radius), or None to scan: chosen once per radius, as a
    # server asks the same radius on every lookup (the choice and the slicing cost a third of a 1 M-row probe)
    _plans: dict[int, tuple[np.ndarray, ...] | None] = field(default_factory=dict, init=False, repr=False,
                                                                 compare=False)

    @classmethod
    def build(cls, ids: np.ndarray, codes: np.ndarray, threads: int) -> Segment:
        """A segment over unique ``ids`` (any order) and their (n, 4) uint64 ``codes``."""
        if len(ids) > MAX_ROWS:
            raise ValueError(f"a segment holds at most {MAX_ROWS} rows, got {len(ids)}")
        if np.any(ids[1:] <= ids[:-1]):
            order = np.argsort(ids)
            ids, codes = ids[order], codes[order]
        codes = np.ascontiguousarray(codes)
        alive = np.packbits(np.ones(len(ids), bool), bitorder="little")
        return cls(IdColumn.of(ids), codes, alive, Tables.build(codes, threads), len(ids))

    @classmethod
    def restore(cls, arrays: dict[str, np.ndarray]) -> Segment:
        """A segment from saved arrays, checked enough that the kernels cannot read outside them."""
        id_offsets, id_base, codes, alive = arrays["id_offsets"], arrays["id_base"], arrays["codes"], arrays["alive"]
        t = Tables(arrays["offsets"], arrays["inline"], arrays["lo"], arrays["upper"])
        n = len(id_offsets)
        shapes_ok = (
            id_offsets.dtype in (np.uint32, np.uint64) and id_offsets.ndim == 1 and 0 < n <= MAX_ROWS
            and id_base.dtype == np.int64 and id_base.shape == (1,)
            and codes.dtype == np.uint64 and codes.shape == (n, 4)
            and alive.dtype == np.uint8 and alive.shape == (-(-n // 8),)
            and t.offsets.dtype == np.uint32 and t.offsets.shape == (kernels.CHUNKS, kernels.CHUNK_VALUES + 1)
            and t.inline.shape == t.lo.shape == (kernels.CHUNKS, n)
            and t.upper.shape == (kernels.CHUNKS, kernels.upper_words(n))
            and (t.inline.dtype, t.lo.dtype, t.upper.dtype) == (np.dtype(np.uint16), np.dtype(np.uint16),
                                                                np.dtype(np.uint64))
        )  # fmt: skip
        if not shapes_ok:
            raise ValueError("corrupt PDQ index: segment arrays have inconsistent shapes or types")
        ascending = np.all(id_offsets[1:] > id_offsets[:-1])
        if not ascending or np.any(t.offsets[:, 0] != 0) or np.any(t.offsets[:, 1:] < t.offsets[:, :-1]):
            raise ValueError("corrupt PDQ index: ids not ascending or table offsets not monotone")
        if np.any(t.offsets[:, -1] != n):
            raise ValueError("corrupt PDQ index: table offsets do not cover the rows")
        alive = alive.copy()  # writable even when the rest is memory-mapped
        live = int(np.bitwise_count(alive).sum())
        return cls(IdColumn(int(id_base[0]), id_offsets), codes, alive, t, live)

    def arrays(self) -> dict[str, np.ndarray]:
        """The arrays ``restore`` takes back."""
        t = self.tables
        return {"id_offsets": self.ids.offsets, "id_base": np.array([self.ids.base], np.int64),
                "codes": self.codes, "alive": self.alive,
                "offsets": t.offsets, "inline": t.inline, "lo": t.lo, "upper": t.upper}  # fmt: skip

    @classmethod
    def merge(cls, parts: list[Segment], threads: int) -> Segment:
        """One segment holding the live rows of ``parts``."""
        live = [p.live_mask() for p in parts]
        ids = np.concatenate([p.ids[mask] for p, mask in zip(parts, live, strict=True)])
        codes = np.concatenate([p.codes[mask] for p, mask in zip(parts, live, strict=True)])
        return cls.build(ids, codes, threads)

    @property
    def rows(self) -> int:
        return len(self.ids)

    def live_mask(self) -> np.ndarray:
        """(n,) bool, True for rows not removed."""
        return np.unpackbits(self.alive, count=self.rows, bitorder="little").astype(bool)

    def remove(self, ids: np.ndarray) -> None:
        """Tombstone the rows of ``ids`` (sorted, unique); ids not here are ignored."""
        rows, found = self.ids.find(ids)
        rows = rows[found]
        rows = rows[(self.alive[rows >> 3] >> (rows & 7).astype(np.uint8)) & 1 == 1]
        np.bitwise_and.at(self.alive, rows >> 3, ~(np.uint8(1) << (rows & 7).astype(np.uint8)))
        self.live -= len(rows)

    def code_of(self, ref: int) -> np.ndarray | None:
        """The (4,) uint64 code of id ``ref`` if it is a live row here, else None (one id: scalar steps)."""
        offsets, wanted = self.ids.offsets, ref - self.ids.base
        if not self.rows or not 0 <= wanted <= int(offsets[-1]):
            return None
        row = int(np.searchsorted(offsets, offsets.dtype.type(wanted)))  # a Python int would copy every offset
        if int(offsets[row]) != wanted or not (int(self.alive[row >> 3]) >> (row & 7)) & 1:
            return None
        code: np.ndarray = self.codes[row]
        return code

    def search(self, queries: np.ndarray, radius: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(per-query counts, ids, distances) within ``radius``, by whichever exact strategy is cheaper."""
        try:
            plan = self._plans[radius]
        except KeyError:
            plan = self._plans[radius] = self._plan(radius)
        if plan is None:
            counts, rows, dists = kernels.search_linear(queries, radius, self.codes, self.alive)
        else:
            counts, rows, dists = kernels.search_tables(queries, radius, *plan)
        return counts, (self.ids[rows] if len(rows) else rows), dists

    def _plan(self, radius: int) -> tuple[np.ndarray, ...] | None:
        if prefers_scan(self.rows, radius):
            return None
        probes, t = int(PROBES[radius // kernels.CHUNKS]), self.tables
        return (MASKS[:probes], WEIGHTS[:probes], self.codes, self.alive, t.offsets, t.inline, t.lo, t.upper)
