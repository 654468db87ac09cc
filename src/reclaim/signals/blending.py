"""A face that carries another JPEG's block grid than the rest of its picture: a cut-and-paste face swap's trace.

Saving a JPEG quantises each 8x8 block's DCT coefficients, and at any quality below ~90 most high-frequency
coefficients become exactly zero. A face cut from one JPEG and pasted into another picture keeps that
"ghost": cut the face region into 8x8 blocks at the grid it came with and its high frequencies are nearly
all zero; cut it at any of the other 63 offsets and they are not. The rest of the picture has a ghost of
its own (its last save; read away from the faces, where no paste reaches) or none (never a JPEG). A face
whose ghost is clear at another offset than the rest's (or a half-block shift of it, which the same grid
also lights up) is reported with both offsets.

What it catches, and what not (bench/blending.py measures both): a face pasted from a JPEG (quality up to
~75) without being rescaled (rescaling spreads the ghost), into a picture saved losslessly or as a JPEG of
higher quality (a final save at similar quality buries it). It says nothing about faces that were never
JPEG-compressed before blending. A lead, never a verdict.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

Box = tuple[int, int, int, int]
_N = 8
_DCT = np.array([[np.sqrt((1 if k == 0 else 2) / _N) * np.cos((2 * n + 1) * k * np.pi / (2 * _N))
                  for n in range(_N)] for k in range(_N)], np.float32)
_HIGH = np.add.outer(np.arange(_N), np.arange(_N)) >= 5  # the high-frequency coefficients a JPEG zeroes first
# a block's pixels (flattened row by row) -> its high-frequency 2-D DCT coefficients: D B D^T as one product
_HIGH_BASIS = np.ascontiguousarray(np.kron(_DCT, _DCT)[_HIGH.ravel()].T)
_STACK = 80  # rows per product in _high_coefficients (80 x 64 x 49 is under OpenBLAS's one-thread size)
ZERO = 1.0  # |coefficient| below this counts as quantised away
MIN_CONTRAST = 1.4  # the ghost's share of zeros over the median offset's, to count as a grid
HOST_CONTRAST = 1.2  # the same for the rest of the picture, which is mostly background and tells less
INSET = 0.12  # share of the face box trimmed on each side: the paste's own border is not the face
MIN_BLOCKS = 24  # fewer blocks than this tell nothing


@dataclass(frozen=True)
class Ghost:
    offset: tuple[int, int]  # column and row offset of the grid, 0-7, in picture coordinates
    contrast: float


@dataclass(frozen=True)
class ForeignGrid:
    box: Box
    face: Ghost
    rest: Ghost | None  # None: the rest of the picture was never a JPEG (or is too flat to tell)

    def evidence(self) -> str:
        x, y, w, h = self.box
        rest = f"the rest of the picture's at {self.rest.offset}" if self.rest else "the rest of the picture has none"
        return (f"the face at ({x},{y}) {w}x{h} keeps a JPEG grid at offset {self.face.offset}, {rest}: "
                "pasted from another JPEG")


def _zero_shares(luma: np.ndarray, keep: np.ndarray) -> dict[tuple[int, int], float]:
    """Per grid offset (picture coordinates), the share of near-zero high-frequency coefficients over the blocks
    that lie wholly where ``keep`` is True. Only the rectangle around ``keep`` is read (a face is a small part
    of its picture); which blocks lie wholly inside comes from one summed-area table, and each offset's blocks
    go through one matrix product (``_HIGH_BASIS``) rather than two 8x8 ones per block."""
    shares: dict[tuple[int, int], float] = {}
    rows_kept, cols_kept = np.flatnonzero(keep.any(axis=1)), np.flatnonzero(keep.any(axis=0))
    if rows_kept.size < _N or cols_kept.size < _N:
        return shares
    top, left = int(rows_kept[0]), int(cols_kept[0])
    area = (slice(top, int(rows_kept[-1]) + 1), slice(left, int(cols_kept[-1]) + 1))
    luma, keep = luma[area] - np.float32(128.0), keep[area]
    height, width = luma.shape
    table = np.zeros((height + 1, width + 1), np.int32)
    table[1:, 1:] = keep.cumsum(axis=0, dtype=np.int32).cumsum(axis=1, dtype=np.int32)
    for dy in range(_N):
        for dx in range(_N):
            y0, x0 = (dy - top) % _N, (dx - left) % _N  # where the offset's grid starts inside the rectangle
            rows, cols = (height - y0) // _N, (width - x0) // _N
            if rows < 1 or cols < 1:
                continue
            ys, xs = slice(y0, y0 + rows * _N + 1, _N), slice(x0, x0 + cols * _N + 1, _N)
            corners = table[ys, xs]  # (rows + 1, cols + 1): the table at every block corner
            inside = corners[1:, 1:] - corners[:-1, 1:] - corners[1:, :-1] + corners[:-1, :-1] == _N * _N
            if inside.sum() < MIN_BLOCKS:
                continue
            grid = (slice(y0, y0 + rows * _N), slice(x0, x0 + cols * _N))
            blocks = luma[grid].reshape(rows, _N, cols, _N).transpose(0, 2, 1, 3)[inside].reshape(-1, _N * _N)
            shares[dx, dy] = float((np.abs(_high_coefficients(blocks)) < ZERO).mean())
    return shares


def _high_coefficients(blocks: np.ndarray) -> np.ndarray:
    """(n, 64) blocks -> (n, 49) high-frequency coefficients, as a stack of products of ``_STACK`` rows (the
    zero rows padding the last one dropped): OpenBLAS runs products that small on one thread, where one large
    product is split over threads whose hand-offs cost more than they save on a busy machine (2-3x here)."""
    pad = -len(blocks) % _STACK
    stacked = np.concatenate([blocks, np.zeros((pad, blocks.shape[1]), blocks.dtype)]) if pad else blocks
    return (stacked.reshape(-1, _STACK, blocks.shape[1]) @ _HIGH_BASIS).reshape(-1, _HIGH_BASIS.shape[1])[
        : len(blocks)]


def _best(shares: dict[tuple[int, int], float], exclude: frozenset[tuple[int, int]] = frozenset()) -> Ghost | None:
    """The offset with the most zeros, and its contrast over the median offset's (None if too few blocks)."""
    candidates = {k: v for k, v in shares.items() if k not in exclude}
    if len(candidates) < 32:
        return None
    best = max(candidates, key=lambda k: candidates[k])
    median = float(np.median(list(candidates.values())))
    return Ghost(best, candidates[best] / median if median > 0 else 0.0)


def _aliases(offset: tuple[int, int]) -> frozenset[tuple[int, int]]:
    """A grid and its half-block shifts, which its ghost also lights up."""
    x, y = offset
    return frozenset({(x, y), ((x + 4) % 8, y), (x, (y + 4) % 8), ((x + 4) % 8, (y + 4) % 8)})


def foreign_grids(rgb: np.ndarray, faces: Sequence[Box], *, jpeg_file: bool) -> list[ForeignGrid]:
    """The faces (boxes x, y, w, h) whose JPEG ghost differs from the rest of the picture's. ``jpeg_file``: the
    picture itself is a JPEG, so its own grid is at (0, 0) even where the rest is too flat to show it."""
    luma = rgb[..., :3].astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
    height, width = luma.shape
    away = np.ones((height, width), bool)  # far enough from every face to be the picture itself, not a paste
    for x, y, w, h in faces:
        away[max(y - h, 0) : y + 2 * h, max(x - w, 0) : x + 2 * w] = False
    seen = _best(_zero_shares(luma, away))
    rest = seen if seen and seen.contrast >= HOST_CONTRAST else None
    host = rest.offset if rest else (0, 0) if jpeg_file else None
    found = []
    for box in faces:
        x, y, w, h = box
        dx, dy = int(w * INSET), int(h * INSET)
        inner = np.zeros((height, width), bool)
        inner[max(y + dy, 0) : max(y + h - dy, 0), max(x + dx, 0) : max(x + w - dx, 0)] = True
        shares = _zero_shares(luma, inner)
        face = _best(shares, _aliases(host) if host else frozenset())
        if face is None or face.contrast < MIN_CONTRAST:
            continue
        # the face's own grid must beat the picture's grid inside the face too: the picture's grid lights up
        # neighbouring offsets a little, and a face saved with its picture is sparsest at the picture's grid
        if host is not None and shares.get(host, 0.0) >= shares[face.offset]:
            continue
        found.append(ForeignGrid(box, face, rest))
    return found
