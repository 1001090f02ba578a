"""Relative (gap) indices of a sparse layer, fixed width, with filler entries on overflow.

As in Deep Compression (Fig. 2): each kept weight stores the number of zeros skipped since the
previous one in `index_bits` bits. A gap too long for that is split by filler entries: the all-ones
value F means "F zeros, no weight here". The paper's filler is a stored zero weight; ours carries no
weight code at all, which costs the same index bits and saves the filler's code.
"""

from __future__ import annotations

import numpy as np

MAX_INDEX_BITS = 16


def encode_gaps(positions: np.ndarray, index_bits: int) -> np.ndarray:
    """Sorted flat positions of kept weights -> the index stream (filler = 2**index_bits - 1)."""
    filler = (1 << index_bits) - 1
    pos = np.asarray(positions, dtype=np.int64)
    gaps = np.diff(np.concatenate([[-1], pos])) - 1
    fillers = gaps // filler
    rest = gaps - fillers * filler
    counts = fillers + 1
    out = np.full(int(counts.sum()), filler, dtype=np.int64)
    ends = np.cumsum(counts) - 1  # each weight's own entry comes after its fillers
    out[ends] = rest
    return out


def decode_gaps(stream: np.ndarray, index_bits: int) -> np.ndarray:
    """The index stream -> flat positions of the kept weights."""
    filler = (1 << index_bits) - 1
    s = np.asarray(stream, dtype=np.int64)
    step = np.where(s == filler, filler, s + 1)
    pos = np.cumsum(step) - 1
    return pos[s != filler]


def best_index_bits(positions: np.ndarray, max_bits: int = 8) -> int:
    """The width in 1..max_bits that makes the index stream smallest (paper: 8 conv, 5 fc)."""
    sizes = {b: b * len(encode_gaps(positions, b)) for b in range(1, max_bits + 1)}
    return min(sizes, key=sizes.get)
