"""A NumPy .npz file: `x` (N x H x W [x C], uint8 or float) and `y` (N ints), optional x_test/y_test."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import NasxError
from .registry import RawData, check_pair, register_loader


def _nchw(x: np.ndarray, where: str) -> np.ndarray:
    if x.ndim == 3:
        return x[:, None]
    if x.ndim == 4:
        return x.transpose(0, 3, 1, 2)
    raise NasxError(f"{where}: shape {tuple(x.shape)}, expected N x H x W [x C]")


def _labels(y: np.ndarray, where: str) -> np.ndarray:
    if y.dtype.kind == "f" and not np.all(y == np.round(y)):
        raise NasxError(f"{where}: labels must be integers")
    if y.dtype.kind not in "iuf":
        raise NasxError(f"{where}: labels must be integers, got dtype {y.dtype}")
    return y.astype(np.int64).reshape(-1) if y.ndim == 2 and y.shape[1] == 1 else y.astype(np.int64)


@register_loader("npz")
def load_npz(path: str) -> RawData:
    """A .npz with x, y and optionally x_test, y_test (images channels-last)."""
    p = Path(path)
    if not p.is_file():
        raise NasxError(f"npz file {p} does not exist")
    try:
        with np.load(p, allow_pickle=False) as f:
            arrays = {k: f[k] for k in f.files}
    except Exception as exc:  # noqa: BLE001 - any decoding problem is a malformed file
        raise NasxError(f"{p} is not a readable .npz: {type(exc).__name__}: {exc}") from None
    if "x" not in arrays or "y" not in arrays:
        raise NasxError(f"{p} must hold arrays 'x' and 'y' (found: {', '.join(sorted(arrays)) or 'none'})")
    if ("x_test" in arrays) != ("y_test" in arrays):
        raise NasxError(f"{p}: 'x_test' and 'y_test' must come together")
    x, y = _nchw(arrays["x"], f"{p}['x']"), _labels(arrays["y"], f"{p}['y']")
    check_pair(x, y, str(p))
    xt = yt = None
    if "x_test" in arrays:
        xt, yt = _nchw(arrays["x_test"], f"{p}['x_test']"), _labels(arrays["y_test"], f"{p}['y_test']")
        check_pair(xt, yt, f"{p} (test)")
        if xt.shape[1:] != x.shape[1:]:
            raise NasxError(f"{p}: x_test images are {xt.shape[1:]} but x images are {x.shape[1:]}")
    return RawData(x, y, xt, yt, name=p.stem)
