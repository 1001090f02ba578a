"""The compact file: per layer a relative-index stream, a code stream and a float32 codebook.

Layout: b"NSXC", u32 header length, a zlib-compressed JSON header (shapes, widths, blob sizes, the
other tensors' dtypes), then the blobs in header order (Huffman code lengths are one byte per
symbol, in a blob beside their stream). Every tensor that is not a
shared conv/linear weight (biases, BN statistics, LeNet's subsampling coefficients...) is stored
raw, so the file alone rebuilds the whole state_dict (`read_compact`) and its size on disk is the
honest "after" figure.
"""

from __future__ import annotations

import json
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from . import huffman
from .bits import pack_fixed, unpack_fixed
from .share import Shared
from .sparse import best_index_bits, decode_gaps, encode_gaps

MAGIC = b"NSXC"


@dataclass
class Stream:
    """One integer stream, fixed width or Huffman-coded, whichever is smaller when allowed."""

    data: bytes
    width: int
    count: int
    lengths: list[int] | None = None  # Huffman code lengths (None: fixed width)
    nbits: int = 0

    @classmethod
    def of(cls, values: np.ndarray, width: int, allow_huffman: bool) -> Stream:
        fixed = cls(pack_fixed(values, width), width, len(values), None, width * len(values))
        if not allow_huffman or len(values) == 0:
            return fixed
        lengths = huffman.code_lengths(values, 1 << width)
        data, nbits = huffman.encode(values, lengths)
        coded = cls(data, width, len(values), lengths, nbits)
        return coded if coded.size() < fixed.size() else fixed

    def size(self) -> int:
        return len(self.data) + (len(self.lengths) if self.lengths is not None else 0)

    def header(self) -> dict:
        return {"w": self.width, "n": self.count, "b": len(self.data), "nbits": self.nbits,
                "huff": self.lengths is not None}

    def blobs(self) -> list[bytes]:
        return [self.data] + ([bytes(self.lengths)] if self.lengths is not None else [])

    def values(self) -> np.ndarray:
        if self.lengths is None:
            return unpack_fixed(self.data, self.width, self.count)
        return huffman.decode(self.data, self.nbits, self.count, self.lengths)


@dataclass
class EncodedLayer:
    shape: tuple[int, ...]
    index: Stream
    codes: Stream
    codebook: bytes

    def size(self) -> int:
        """Bytes this layer occupies in the file (blobs + Huffman tables; header fields excluded)."""
        return self.index.size() + self.codes.size() + len(self.codebook)


def encode_layer(s: Shared, bits: int, huffman_coding: bool = True, index_bits: int | None = None) -> EncodedLayer:
    positions = s.mask.flatten().nonzero().flatten().numpy()
    ib = index_bits or best_index_bits(positions)
    gaps = encode_gaps(positions, ib)
    # the codes stream is aligned with the kept weights only (fillers carry no code)
    codes = s.assignment.numpy().astype(np.int64)
    return EncodedLayer(tuple(s.mask.shape), Stream.of(gaps, ib, huffman_coding),
                        Stream.of(codes, bits, huffman_coding),
                        s.centroids.numpy().astype("<f4").tobytes())


def decode_layer(layer: EncodedLayer) -> torch.Tensor:
    positions = decode_gaps(layer.index.values(), layer.index.width)
    codebook = np.frombuffer(layer.codebook, dtype="<f4")
    flat = np.zeros(int(np.prod(layer.shape)), dtype=np.float32)
    flat[positions] = codebook[layer.codes.values()]
    return torch.from_numpy(flat.reshape(layer.shape))


def _raw(t: torch.Tensor) -> tuple[dict, bytes]:
    arr = t.detach().cpu().contiguous().numpy()
    return {"dtype": arr.dtype.str, "shape": list(arr.shape), "b": arr.nbytes}, arr.tobytes()


def write_compact(path: str | Path, state: dict, layers: dict[str, EncodedLayer]) -> int:
    """Write the state_dict `state` with its `layers` ("<module>.weight" keys) encoded; returns bytes."""
    header, blobs = {"layers": {}, "raw": {}, "order": list(state)}, []
    for key, enc in layers.items():
        header["layers"][key] = {"shape": list(enc.shape), "idx": enc.index.header(), "codes": enc.codes.header(),
                                 "cb": len(enc.codebook)}
        blobs += enc.index.blobs() + enc.codes.blobs() + [enc.codebook]
    for key, t in state.items():
        if key not in layers:
            header["raw"][key], blob = _raw(t)
            blobs.append(blob)
    text = zlib.compress(json.dumps(header, separators=(",", ":")).encode(), 9)
    body = MAGIC + struct.pack("<I", len(text)) + text + b"".join(blobs)
    Path(path).write_bytes(body)
    return len(body)


def _stream(h: dict, take) -> Stream:
    data = take(h["b"])
    lengths = list(take(1 << h["w"])) if h["huff"] else None
    return Stream(data, h["w"], h["n"], lengths, h["nbits"])


def read_compact(path: str | Path) -> dict[str, torch.Tensor]:
    """The full state_dict back from a compact file (shared weights decoded exactly)."""
    body = Path(path).read_bytes()
    if body[:4] != MAGIC:
        raise ValueError(f"{path} is not a nasx compressed model")
    (n,) = struct.unpack("<I", body[4:8])
    header = json.loads(zlib.decompress(body[8:8 + n]))
    at, out = 8 + n, {}

    def take(size: int) -> bytes:
        nonlocal at
        at += size
        return body[at - size:at]

    for key, h in header["layers"].items():
        index, codes = _stream(h["idx"], take), _stream(h["codes"], take)
        out[key] = decode_layer(EncodedLayer(tuple(h["shape"]), index, codes, take(h["cb"])))
    for key, h in header["raw"].items():
        arr = np.frombuffer(take(h["b"]), dtype=np.dtype(h["dtype"])).reshape(h["shape"])
        out[key] = torch.from_numpy(arr.copy())
    return {k: out[k] for k in header["order"]}
