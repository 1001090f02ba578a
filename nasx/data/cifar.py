"""CIFAR-10/100 "python version" batches (the pickles of cifar-10-batches-py / cifar-100-python)."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np

from ..errors import NasxError
from .registry import RawData, check_pair, register_loader


def _unpickle(path: Path) -> dict:
    if not path.is_file():
        raise NasxError(f"missing CIFAR batch file {path}")
    try:
        with open(path, "rb") as f:
            d = pickle.load(f, encoding="bytes")
    except Exception as exc:  # noqa: BLE001 - any decoding problem is a malformed file
        raise NasxError(f"{path} is not a CIFAR python batch: {type(exc).__name__}: {exc}") from None
    if not isinstance(d, dict):
        raise NasxError(f"{path} is not a CIFAR python batch (not a dict)")
    return {k.decode() if isinstance(k, bytes) else k: v for k, v in d.items()}


def _batch(paths: list[Path], label_key: str) -> tuple[np.ndarray, np.ndarray]:
    xs, ys = [], []
    for p in paths:
        d = _unpickle(p)
        if "data" not in d or label_key not in d:
            raise NasxError(f"{p}: CIFAR batch lacks 'data' or '{label_key}'")
        x = np.asarray(d["data"], dtype=np.uint8)
        if x.ndim != 2 or x.shape[1] != 3072:
            raise NasxError(f"{p}: 'data' has shape {x.shape}, expected N x 3072")
        x, y = x.reshape(-1, 3, 32, 32), np.asarray(d[label_key], dtype=np.int64)
        check_pair(x, y, str(p))
        xs.append(x)
        ys.append(y)
    return np.concatenate(xs), np.concatenate(ys)


def _folder(path: str) -> Path:
    folder = Path(path)
    if not folder.is_dir():
        raise NasxError(f"CIFAR folder {folder} does not exist")
    return folder


@register_loader("cifar10")
def load_cifar10(path: str) -> RawData:
    """CIFAR-10 python batches: data_batch_1..5 and test_batch."""
    folder = _folder(path)
    train = _batch([folder / f"data_batch_{i}" for i in range(1, 6)], "labels")
    test = _batch([folder / "test_batch"], "labels")
    return RawData(*train, *test, num_classes=10, augment="crop+flip", name="cifar10")


@register_loader("cifar100")
def load_cifar100(path: str) -> RawData:
    """CIFAR-100 python files: train and test (fine labels)."""
    folder = _folder(path)
    train = _batch([folder / "train"], "fine_labels")
    test = _batch([folder / "test"], "fine_labels")
    return RawData(*train, *test, num_classes=100, augment="crop+flip", name="cifar100")
