"""IDX files (the MNIST / Fashion-MNIST format), plain or gzipped: `idx:/dir`.

The folder holds train-images-idx3-ubyte, train-labels-idx1-ubyte and optionally t10k-* (the test
split; without it a test split is carved from train). Digits are chiral, so the default policy is
crop without flip.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

from ..errors import NasxError
from .registry import RawData, check_pair, register_loader

_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path: str | Path) -> np.ndarray:
    """Decode one IDX file into an array, checking the header against the payload size."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError) as exc:
        raise NasxError(f"cannot read IDX file {path}: {exc}") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _DTYPES:
        raise NasxError(f"{path} is not an IDX file (bad magic number)")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if ndim == 0 or len(raw) < header:
        raise NasxError(f"{path}: truncated IDX header")
    dims = tuple(int(d) for d in np.frombuffer(raw, ">u4", count=ndim, offset=4))
    dtype = np.dtype(_DTYPES[raw[2]])
    expected = int(np.prod(dims)) * dtype.itemsize
    if len(raw) - header != expected:
        raise NasxError(f"{path}: header says {dims} ({expected} bytes) but the file holds {len(raw) - header}")
    return np.frombuffer(raw, dtype, offset=header).reshape(dims)


def find_idx(folder: Path, split: str, kind: str) -> Path | None:
    """train-images-idx3-ubyte[.gz] and the common spelling train-images.idx3-ubyte."""
    rank = 3 if kind == "images" else 1
    for sep in ("-", "."):
        for ext in ("", ".gz"):
            p = folder / f"{split}-{kind}{sep}idx{rank}-ubyte{ext}"
            if p.is_file():
                return p
    return None


def _images(arr: np.ndarray, path: Path) -> np.ndarray:
    if arr.ndim == 3:
        return arr[:, None]
    if arr.ndim == 4:  # N x H x W x C
        return arr.transpose(0, 3, 1, 2)
    raise NasxError(f"{path}: images have {arr.ndim} dimensions, expected N x H x W [x C]")


def read_idx_folder(folder: str | Path, name: str, augment: str) -> RawData:
    folder = Path(folder)
    if not folder.is_dir():
        raise NasxError(f"IDX folder {folder} does not exist")
    out = {}
    for split in ("train", "t10k"):
        ip, lp = find_idx(folder, split, "images"), find_idx(folder, split, "labels")
        if split == "train" and (ip is None or lp is None):
            missing = "train-images-idx3-ubyte" if ip is None else "train-labels-idx1-ubyte"
            raise NasxError(f"{folder}: missing {missing}[.gz] (an IDX folder needs train-images/labels)")
        if ip is None or lp is None:
            continue
        x, y = _images(read_idx(ip), ip), read_idx(lp).astype(np.int64)
        check_pair(x, y, str(ip))
        out[split] = (x, y)
    test = out.get("t10k", (None, None))
    return RawData(*out["train"], *test, augment=augment, name=name)


@register_loader("idx")
def load_idx(path: str) -> RawData:
    """IDX files (MNIST format, gz or not) in a folder."""
    return read_idx_folder(path, f"idx:{Path(path).name}", "crop")
