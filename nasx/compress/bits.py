"""Bit packing of fixed-width unsigned integers (MSB first), vectorised with numpy."""

from __future__ import annotations

import numpy as np


def pack_bits(bits: np.ndarray) -> bytes:
    """A 0/1 array -> bytes (the last byte zero-padded)."""
    return np.packbits(np.asarray(bits, dtype=np.uint8)).tobytes()


def unpack_bits(data: bytes, nbits: int) -> np.ndarray:
    return np.unpackbits(np.frombuffer(data, dtype=np.uint8))[:nbits].astype(np.int64)


def pack_fixed(values, width: int) -> bytes:
    """Each value in `width` bits, concatenated; values must be < 2**width."""
    v = np.asarray(values, dtype=np.int64).ravel()
    if v.size and (v.min() < 0 or v.max() >= 1 << width):
        raise ValueError(f"values do not fit in {width} bits")
    bits = (v[:, None] >> (width - 1 - np.arange(width))[None, :]) & 1
    return pack_bits(bits.ravel())


def unpack_fixed(data: bytes, width: int, count: int) -> np.ndarray:
    bits = unpack_bits(data, width * count).reshape(count, width)
    return (bits << (width - 1 - np.arange(width))[None, :]).sum(1)
