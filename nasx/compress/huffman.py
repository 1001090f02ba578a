"""Canonical Huffman coding of small-alphabet integer streams (Deep Compression's last stage).

Only the code *lengths* are stored (one byte per symbol): the canonical code is rebuilt from them,
which is the usual way to keep the table a few bytes. Bit order is MSB first; see `bits`.
"""

from __future__ import annotations

import heapq
from collections import Counter

import numpy as np

from .bits import pack_bits, unpack_bits


def code_lengths(symbols, alphabet: int) -> list[int]:
    """Huffman code length per symbol 0..alphabet-1 (0 for unused symbols; a lone symbol gets 1)."""
    counts = Counter(int(s) for s in np.asarray(symbols).ravel())
    lengths = [0] * alphabet
    if not counts:
        return lengths
    if len(counts) == 1:
        lengths[next(iter(counts))] = 1
        return lengths
    heap = [(n, i, [s]) for i, (s, n) in enumerate(sorted(counts.items()))]
    heapq.heapify(heap)
    tie = len(heap)
    while len(heap) > 1:
        n1, _, a = heapq.heappop(heap)
        n2, _, b = heapq.heappop(heap)
        for s in a + b:
            lengths[s] += 1
        heapq.heappush(heap, (n1 + n2, tie, a + b))
        tie += 1
    return lengths


def canonical_codes(lengths: list[int]) -> dict[int, tuple[int, int]]:
    """symbol -> (code, length) of the canonical code with these lengths."""
    order = sorted((n, s) for s, n in enumerate(lengths) if n > 0)
    codes, code, prev = {}, 0, 0
    for n, s in order:
        code <<= n - prev
        codes[s] = (code, n)
        code += 1
        prev = n
    return codes


def encode(symbols, lengths: list[int]) -> tuple[bytes, int]:
    """(packed bytes, number of bits) of `symbols` under the canonical code of `lengths`."""
    syms = np.asarray(symbols, dtype=np.int64).ravel()
    if syms.size == 0:
        return b"", 0
    codes = canonical_codes(lengths)
    table_code = np.zeros(len(lengths), dtype=np.int64)
    table_len = np.zeros(len(lengths), dtype=np.int64)
    for s, (c, n) in codes.items():
        table_code[s], table_len[s] = c, n
    code, n = table_code[syms], table_len[syms]
    width = int(n.max())
    shifts = n[:, None] - 1 - np.arange(width)[None, :]
    bits = (code[:, None] >> np.maximum(shifts, 0)) & 1
    flat = bits[shifts >= 0]
    return pack_bits(flat), int(flat.size)


def decode(data: bytes, nbits: int, count: int, lengths: list[int]) -> np.ndarray:
    """The `count` symbols encoded in the first `nbits` bits of `data`."""
    lookup = {(n, c): s for s, (c, n) in canonical_codes(lengths).items()}
    bits = unpack_bits(data, nbits).tolist()
    out = np.empty(count, dtype=np.int64)
    code = n = k = 0
    for b in bits:
        code, n = (code << 1) | b, n + 1
        s = lookup.get((n, code))
        if s is not None:
            out[k] = s
            k += 1
            code = n = 0
            if k == count:
                break
    if k != count:
        raise ValueError(f"huffman stream ended after {k} of {count} symbols")
    return out
