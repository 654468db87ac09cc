"""Numba kernels behind ``PDQIndex``: building the chunk tables and answering radius queries.

Every kernel is ``cache=True`` (compiled once per machine, not per process) and ``nogil=True``, so a plain
thread pool runs them on all cores without numba's threading layer. Codes are (n, 4) uint64 rows; chunk ``i``
is bits ``16*(i % 4)`` .. ``16*(i % 4) + 15`` of word ``i // 4``. Everything derives chunks from the words the
same way, so the tables agree with the distances whatever the byte order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, cast

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.core.base import BaseContext
from numba.core.typing.templates import Signature
from numba.extending import intrinsic

CODE_BITS = 256
CHUNKS = 16
CHUNK_VALUES = 1 << 16
SCAN_BLOCK = 1024  # rows a linear scan tests before collecting the hits
PREFETCH_AHEAD = 16  # buckets in flight while scanning: enough to hide DRAM latency, few enough not to be dropped

# An intrinsic's Python signature is its typing function's (typing context first); jitted code calls it
# without the context, so each is named below with the signature its callers see.
Codegen = Callable[[BaseContext, ir.IRBuilder, Signature, Sequence[ir.Value]], ir.Value]


def _popcount_ir(typingctx: object, x: types.Integer) -> tuple[Signature, Codegen]:
    """Number of set bits, as int64: one ``popcnt`` instruction instead of a table lookup or bit tricks."""

    def codegen(context: BaseContext, builder: ir.IRBuilder, signature: Signature,
                args: Sequence[ir.Value]) -> ir.Value:
        count = builder.ctpop(args[0])
        if x.bitwidth < 64:  # type: ignore[attr-defined]  # numba's stubs leave out Integer.bitwidth
            return builder.zext(count, context.get_value_type(types.int64))
        return count

    return types.int64(x), codegen


def _trailing_zeros_ir(typingctx: object, x: types.Integer) -> tuple[Signature, Codegen]:
    """Index of the lowest set bit (``tzcnt``), as int64; ``x`` must not be 0."""

    def codegen(context: BaseContext, builder: ir.IRBuilder, signature: Signature,
                args: Sequence[ir.Value]) -> ir.Value:
        return builder.cttz(args[0], ir.Constant(ir.IntType(1), 1))

    return types.int64(x), codegen


def _prefetch_ir(typingctx: object, array: types.Array, index: types.Integer) -> tuple[Signature, Codegen]:
    """Hint the CPU to start loading ``array[index]`` (1-D, contiguous) now; it never faults, even out of range."""

    def codegen(context: BaseContext, builder: ir.IRBuilder, signature: Signature,
                args: Sequence[ir.Value]) -> ir.Value:
        data = context.make_array(signature.args[0])(context, builder, args[0]).data
        i32 = ir.IntType(32)
        # One declaration for every element type: the address as i8*, which llvmlite names (p0i8 with typed
        # pointers, as in llvmlite 0.44's LLVM 15; p0 with opaque ones). Declared with the element's own
        # pointer type, a module prefetching uint16 and uint64 rows declares it twice and LLVM 15 rejects it.
        address = builder.bitcast(builder.gep(data, [args[1]]), cgutils.voidptr_t)
        fnty = ir.FunctionType(ir.VoidType(), [cgutils.voidptr_t, i32, i32, i32])
        fn = builder.module.declare_intrinsic("llvm.prefetch", [cgutils.voidptr_t], fnty)
        # read access, high temporal locality, data cache
        builder.call(fn, [address, i32(0), i32(3), i32(1)])
        return context.get_dummy_value()

    return types.none(array, index), codegen


_popcount = cast("Callable[[Any], int]", intrinsic(_popcount_ir))
_trailing_zeros = cast("Callable[[Any], int]", intrinsic(_trailing_zeros_ir))
_prefetch = cast("Callable[[np.ndarray, Any], None]", intrinsic(_prefetch_ir))


@njit(inline="always")
def _chunk(word: np.uint64, i: int) -> np.int64:
    return np.int64((word >> np.uint64(16 * (i & 3))) & np.uint64(0xFFFF))


@njit(cache=True, nogil=True)
def build_table(codes: np.ndarray, t: int, offsets: np.ndarray, inline: np.ndarray, lo: np.ndarray,
                upper: np.ndarray) -> None:
    """Counting-sort the rows by chunk ``t`` into one CSR table (filled in place; ``upper`` must be zeroed).

    ``offsets[v]:offsets[v + 1]`` is the slice of rows whose chunk ``t`` equals ``v``, ascending by row. For each
    entry ``inline`` holds the row's next chunk ``(t + 1) % 16`` (for the pair test, read while scanning a
    bucket), ``lo`` the row's low 16 bits, and ``upper`` the high bits in Elias-Fano style: entry
    ``k`` of bucket ``v`` sets bit ``k + v * H + (row >> 16)``, where ``H = upper_span(n)`` (see ``_row``).
    """
    n = codes.shape[0]
    word, nxt = t >> 2, (t + 1) % CHUNKS
    span = upper_span(n)
    counts = np.zeros(CHUNK_VALUES + 1, np.int64)
    for row in range(n):
        counts[_chunk(codes[row, word], t) + 1] += 1
    cursor = np.cumsum(counts)
    offsets[:] = cursor
    for row in range(n):
        value = _chunk(codes[row, word], t)
        k = cursor[value]
        cursor[value] = k + 1
        inline[k] = _chunk(codes[row, nxt >> 2], nxt)
        lo[k] = row & 0xFFFF
        bit = k + value * span + (row >> 16)
        upper[bit >> 6] |= np.uint64(1) << np.uint64(bit & 63)


@njit(inline="always")
def upper_span(n: int) -> int:
    """H, the number of distinct ``row >> 16`` values among ``n`` rows."""
    return max((n + 0xFFFF) >> 16, 1)


def upper_words(n: int) -> int:
    """Words of a table's ``upper`` bit array: one set bit per entry plus H zero bits per bucket."""
    span = max((n + 0xFFFF) >> 16, 1)  # upper_span, in plain Python: calling the jitted one compiles it
    return (n + CHUNK_VALUES * span + 63) // 64


@njit(inline="always")
def _row(upper: np.ndarray, table: int, start: int, j: int, lo_bits: int) -> np.int64 | int:
    """The row of the ``j``-th entry of a bucket whose ``upper`` bits start at ``start`` (table-local).

    Entry ``k`` of bucket ``v`` set bit ``k + v * H + hi`` and the bucket's bits start at ``offsets[v] + v * H``,
    so the bucket's ``j``-th set bit lies at ``start + j + hi``. A bucket's bits span about two bits per entry,
    so this select walks a few words. Returns -1 past the table's end (only a corrupt file gets there).
    """
    words, target = upper.shape[1], j
    w = start >> 6
    if w >= words:
        return -1
    word = upper[table, w] & (np.uint64(0xFFFFFFFFFFFFFFFF) << np.uint64(start & 63))
    c = _popcount(word)
    while target >= c:
        target -= c
        w += 1
        if w >= words:
            return -1
        word = upper[table, w]
        c = _popcount(word)
    for _ in range(target):
        word &= word - np.uint64(1)
    hi = (w << 6) + _trailing_zeros(word) - start - j
    return (hi << 16) | np.int64(lo_bits)


@njit(inline="always")
def _distance(codes: np.ndarray, row: int, q0: np.uint64, q1: np.uint64, q2: np.uint64, q3: np.uint64) -> int:
    return (
        _popcount(codes[row, 0] ^ q0)
        + _popcount(codes[row, 1] ^ q1)
        + _popcount(codes[row, 2] ^ q2)
        + _popcount(codes[row, 3] ^ q3)
    )


@njit(inline="always")
def _append(rows: np.ndarray, dists: np.ndarray, size: int, row: int,
            dist: int) -> tuple[np.ndarray, np.ndarray, int]:
    if size == rows.size:
        grown_rows, grown_dists = np.empty(2 * size, np.int64), np.empty(2 * size, np.int32)
        grown_rows[:size], grown_dists[:size] = rows, dists
        rows, dists = grown_rows, grown_dists
    rows[size], dists[size] = row, dist
    return rows, dists, size + 1


@njit(inline="always")
def _first_box(x0: np.uint64, x1: np.uint64, x2: np.uint64, x3: np.uint64, t1: int, t2: int) -> int:
    """The first chunk ``i`` meeting the ring condition (``d_i <= t1`` and ``d_i + d_(i+1) <= t2``), or -1.

    A row is reported only from this table: it can pass the pair test in several tables, and this keeps every
    match reported exactly once.
    """
    x = (x0, x1, x2, x3)
    here = _popcount(_chunk(x[0], 0))
    for i in range(CHUNKS):
        nxt = _popcount(_chunk(x[((i + 1) % CHUNKS) >> 2], (i + 1) % CHUNKS))
        if here <= t1 and here + nxt <= t2:
            return i
        here = nxt
    return -1


@njit(inline="always")
def is_alive(alive: np.ndarray, row: int) -> int:
    """``alive`` is a bit per row (little-endian within each byte): 1 = live, 0 = removed."""
    bit: int = (alive[row >> 3] >> (row & 7)) & 1
    return bit


@njit(cache=True, nogil=True)
def search_tables(queries: np.ndarray, radius: int, masks: np.ndarray, weights: np.ndarray, codes: np.ndarray,
                  alive: np.ndarray, offsets: np.ndarray, inline: np.ndarray, lo: np.ndarray,
                  upper: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows within ``radius`` of each query, found by probing the 16 chunk tables (see pdq_mih.py for why exact).

    ``masks`` lists every 16-bit flip pattern of weight ``<= radius // 16`` and ``weights`` their popcounts.
    Returns per-query counts and the concatenated (row, distance) pairs, each row reported once.

    Each query runs in stages so that its random reads overlap instead of waiting one behind another: the
    bounds of every probed bucket; a branch-free scan of the buckets (prefetching each PREFETCH_AHEAD probes
    ahead) keeping the entries that pass the pair test, ~0.3 % of them; their rows; then verification of those
    rows (prefetching codes ahead).
    """
    n, n_masks = codes.shape[0], masks.size
    flat_inline, flat_lo, flat_codes = inline.reshape(-1), lo.reshape(-1), codes.reshape(-1)
    span = upper_span(n)
    t1, t2 = radius // 16, radius // 8
    probes = CHUNKS * n_masks
    first, stop = np.empty(probes + PREFETCH_AHEAD, np.int64), np.empty(probes, np.int64)
    bit_start = np.empty(probes, np.int64)
    first[probes:] = 0
    kept, kept_probe = np.empty(1024, np.int64), np.empty(1024, np.int64)
    counts = np.zeros(queries.shape[0], np.int64)
    rows, dists, size = np.empty(64, np.int64), np.empty(64, np.int32), 0
    for qi in range(queries.shape[0]):
        q0, q1, q2, q3 = queries[qi, 0], queries[qi, 1], queries[qi, 2], queries[qi, 3]
        scanned = 0
        for t in range(CHUNKS):
            q_here = _chunk(queries[qi, t >> 2], t)
            for j in range(n_masks):
                value = q_here ^ masks[j]
                first[t * n_masks + j] = t * n + offsets[t, value]
                stop[t * n_masks + j] = t * n + offsets[t, value + 1]
                bit_start[t * n_masks + j] = offsets[t, value] + value * span
                scanned += offsets[t, value + 1] - offsets[t, value]
        if scanned > kept.size:
            kept, kept_probe = np.empty(2 * scanned, np.int64), np.empty(2 * scanned, np.int64)
        for p in range(PREFETCH_AHEAD):
            _prefetch(flat_inline, first[p])
        c = 0
        for p in range(probes):
            _prefetch(flat_inline, first[p + PREFETCH_AHEAD])
            t = p // n_masks
            nxt = (t + 1) % CHUNKS
            q_next = np.uint16(_chunk(queries[qi, nxt >> 2], nxt))
            limit = t2 - weights[p - t * n_masks]
            for k in range(first[p], stop[p]):
                kept[c] = k
                kept_probe[c] = p
                c += _popcount(flat_inline[k] ^ q_next) <= limit
        for i in range(c):
            k, p = kept[i], kept_probe[i]
            t = p // n_masks
            row = _row(upper, t, bit_start[p], k - first[p], flat_lo[k])
            if row < 0 or row >= n:
                raise ValueError("corrupt PDQ index: table entry points past the last row")
            kept[i] = row * CHUNKS + t  # row and table, unpacked below
        for i in range(min(c, PREFETCH_AHEAD)):
            _prefetch(flat_codes, (kept[i] // CHUNKS) * 4)
        start_size = size
        for i in range(c):
            if i + PREFETCH_AHEAD < c:
                _prefetch(flat_codes, (kept[i + PREFETCH_AHEAD] // CHUNKS) * 4)
            row, t = kept[i] // CHUNKS, kept[i] % CHUNKS
            x0, x1, x2, x3 = codes[row, 0] ^ q0, codes[row, 1] ^ q1, codes[row, 2] ^ q2, codes[row, 3] ^ q3
            dist = _popcount(x0) + _popcount(x1) + _popcount(x2) + _popcount(x3)
            if dist <= radius and _first_box(x0, x1, x2, x3, t1, t2) == t and is_alive(alive, row):
                rows, dists, size = _append(rows, dists, size, row, dist)
        counts[qi] = size - start_size
    return counts, rows[:size], dists[:size]


@njit(nogil=True)
def _near_rows(codes: np.ndarray, start: int, stop: int, q0: np.uint64, q1: np.uint64, q2: np.uint64, q3: np.uint64,
               radius: int, hits: np.ndarray) -> int:
    """Write to ``hits`` the rows in ``start:stop`` within ``radius`` of the query; return how many.

    Branch-free, and a separate function: inlined next to the growable result arrays it runs ~5x slower.
    """
    c = 0
    for row in range(start, stop):
        hits[c] = row
        c += _distance(codes, row, q0, q1, q2, q3) <= radius
    return c


@njit(cache=True, nogil=True)
def search_linear(queries: np.ndarray, radius: int, codes: np.ndarray,
                  alive: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows within ``radius`` by scanning every row: for small segments and radii where probing costs more."""
    counts = np.zeros(queries.shape[0], np.int64)
    rows, dists, size = np.empty(64, np.int64), np.empty(64, np.int32), 0
    hits = np.empty(SCAN_BLOCK, np.int64)
    for qi in range(queries.shape[0]):
        q0, q1, q2, q3 = queries[qi, 0], queries[qi, 1], queries[qi, 2], queries[qi, 3]
        start_size = size
        for start in range(0, codes.shape[0], SCAN_BLOCK):
            stop = min(start + SCAN_BLOCK, codes.shape[0])
            for i in range(_near_rows(codes, start, stop, q0, q1, q2, q3, radius, hits)):
                if is_alive(alive, hits[i]):
                    dist = _distance(codes, hits[i], q0, q1, q2, q3)
                    rows, dists, size = _append(rows, dists, size, hits[i], dist)
        counts[qi] = size - start_size
    return counts, rows[:size], dists[:size]
