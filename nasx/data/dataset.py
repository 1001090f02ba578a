"""`load_dataset`: decode a data spec once per process, split it deterministically, normalize it.

Splits: the test split is the format's own (or, when it has none, a fixed 20% carved with a
constant seed, so it never moves); validation is carved from train with `seed`; `max_train`
subsamples what is left (nested: a smaller budget is a subset of a larger one, which is what
multi-fidelity searches want). Normalization uses the training part's per-channel mean/std only.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import torch

from ..errors import NasxError
from . import cifar, digits, fashion, folder, idx, npz  # noqa: F401 - registers the loaders
from .augment import Augment, make_augment, with_cutout
from .batches import Batches
from .registry import LOADERS, RawData, parse_spec

TEST_FRACTION = 0.2
TEST_SEED = 20240601  # fixed: the carved test split never depends on the search seed


@dataclass
class Dataset:
    """Normalized float32 NCHW tensors (on CPU) for the three splits, plus what a model needs to know."""

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_val: torch.Tensor
    y_val: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    num_classes: int
    input_shape: tuple[int, int, int]
    name: str = "data"
    augment: Augment = field(default_factory=Augment)
    mean: tuple[float, ...] = ()
    std: tuple[float, ...] = ()

    def batches(self, split: str, batch_size: int, *, train: bool = False, seed: int = 0,
                device: str | torch.device = "cpu", cutout: int = 0) -> Batches:
        """Batches over split "train" | "val" | "test"; train=True shuffles, augments (plus cutout
        of side `cutout` px after the policy's crop/flip) and drops the last."""
        x, y = getattr(self, f"x_{split}"), getattr(self, f"y_{split}")
        if cutout and not 0 < int(cutout) <= min(self.input_shape[1:]):
            h, w = self.input_shape[1:]
            raise NasxError(f"cutout {cutout} px is larger than the {h}x{w} images of {self.name}")
        return Batches(x, y, batch_size, shuffle=train, augment=with_cutout(self.augment, cutout) if train else None,
                       seed=seed, device=device, drop_last=train)

    def summary(self) -> dict:
        return {"name": self.name, "input_shape": self.input_shape, "num_classes": self.num_classes,
                "train": len(self.y_train), "val": len(self.y_val), "test": len(self.y_test),
                "augment": self.augment.policy}


def decode(spec: str) -> RawData:
    """Decoded arrays of a spec, cached per process (searches load the same data many times).

    The cache key includes the path's modification time, so replacing a file (or adding/removing
    one in a folder) is picked up; editing a file inside a sub-folder in place is not.
    """
    scheme, path = parse_spec(spec)
    try:
        stamp = os.stat(path).st_mtime_ns if path else 0
    except OSError:
        stamp = -1
    return _decode(scheme, path, stamp, spec)


@lru_cache(maxsize=8)
def _decode(scheme: str, path: str | None, stamp: int, spec: str) -> RawData:
    raw = LOADERS[scheme].fn(path)
    _check(raw, spec)
    return raw


def _check(raw: RawData, spec: str) -> None:
    if raw.x_test is not None and raw.x_test.shape[1:] != raw.x_train.shape[1:]:
        raise NasxError(f"{spec}: test images are {raw.x_test.shape[1:]} but train images {raw.x_train.shape[1:]}")
    top = int(max(raw.y_train.max(), raw.y_test.max() if raw.y_test is not None else 0))
    if raw.num_classes is not None and top >= raw.num_classes:
        raise NasxError(f"{spec}: label {top} out of range for {raw.num_classes} classes")
    if raw.x_train.dtype.kind not in "uif":
        raise NasxError(f"{spec}: images must be numbers, got dtype {raw.x_train.dtype}")


def _to_float(x: np.ndarray) -> np.ndarray:
    return x.astype(np.float32) / 255.0 if x.dtype == np.uint8 else x.astype(np.float32)


def _carve(n: int, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Split range(n) into (rest, carved) with `fraction` carved, both sorted, deterministic in seed."""
    perm = np.random.default_rng(seed).permutation(n)
    k = min(n - 1, max(1, round(n * fraction)))
    return np.sort(perm[k:]), np.sort(perm[:k])


def load_dataset(spec: str, val_fraction: float = 0.1, seed: int = 0, max_train: int | None = None,
                 augment: str | None = None) -> Dataset:
    """Load `spec` (e.g. "digits", "fashion-mnist", "cifar10:/data/c10", "npz:/f.npz") as a Dataset.

    `augment` overrides the format's default policy ("none" | "crop" | "flip" | "crop+flip").
    """
    if not 0.0 < float(val_fraction) < 1.0:
        raise NasxError(f"val_fraction must be between 0 and 1 (exclusive), got {val_fraction}")
    if max_train is not None and int(max_train) < 1:
        raise NasxError(f"max_train must be a positive number of images, got {max_train}")
    raw = decode(spec)
    x, y, xt, yt = raw.x_train, raw.y_train, raw.x_test, raw.y_test
    if xt is None:
        keep, test = _carve(len(y), TEST_FRACTION, TEST_SEED)
        x, y, xt, yt = x[keep], y[keep], x[test], y[test]
    if len(y) < 2:
        raise NasxError(f"{spec}: {len(y)} training image(s) is too few to carve a validation split")
    train, val = _carve(len(y), val_fraction, seed)
    xf = _to_float(x[train])
    axes = (0, 2, 3)
    mean, std = xf.mean(axis=axes, dtype=np.float64), xf.std(axis=axes, dtype=np.float64)
    std = np.maximum(std, 1e-6)
    if max_train is not None and int(max_train) < len(train):
        sub = np.sort(np.random.default_rng(seed + 1).permutation(len(train))[: int(max_train)])
        xf, train = xf[sub], train[sub]

    def norm(a: np.ndarray) -> torch.Tensor:
        a = (a - mean[None, :, None, None].astype(np.float32)) / std[None, :, None, None].astype(np.float32)
        return torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32))

    def labels(a: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(np.ascontiguousarray(a, dtype=np.int64))

    num_classes = raw.num_classes or int(max(y.max(), yt.max())) + 1
    c, h, w = (int(v) for v in x.shape[1:])
    return Dataset(norm(xf), labels(y[train]), norm(_to_float(x[val])), labels(y[val]),
                   norm(_to_float(xt)), labels(yt), num_classes, (c, h, w), raw.name or spec,
                   make_augment(augment or raw.augment, (h, w)), tuple(mean.tolist()), tuple(std.tolist()))
