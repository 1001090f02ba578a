"""Loader registry: a data spec `scheme:path` (or a bare name like `digits`) -> decoded arrays.

Loaders only decode files into `RawData` (uint8/float numpy, NCHW); splitting, normalization and
tensors are `load_dataset`'s job, so a new format is one small module with one decorated function.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..errors import NasxError
from ..registry import Registry


@dataclass
class RawData:
    """Decoded images (N, C, H, W) and integer labels; `x_test` None when the format has no test split."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray | None = None
    y_test: np.ndarray | None = None
    num_classes: int | None = None
    augment: str = "none"  # default policy for this kind of images (see nasx.data.augment)
    name: str = ""


@dataclass(frozen=True)
class Loader:
    fn: Callable[[str], RawData]
    needs_path: bool
    default_path: str | None
    help: str


LOADERS: Registry[Loader] = Registry("data scheme")


def register_loader(scheme: str, *, needs_path: bool = True, default_path: str | None = None, help: str = ""):
    """Decorator: make `fn(path) -> RawData` available as data spec `scheme:path` (a taken scheme is a
    DuplicateName naming both modules)."""
    def deco(fn):
        doc = help or ((fn.__doc__ or "").splitlines() or [""])[0]
        LOADERS.add(scheme, Loader(fn, needs_path, default_path, doc), origin=getattr(fn, "__module__", None))
        return fn
    return deco


def loader_names() -> list[str]:
    return LOADERS.names()


def parse_spec(spec: str) -> tuple[str, str | None]:
    """'cifar10:/data/c10' -> ('cifar10', '/data/c10'); 'digits' -> ('digits', None)."""
    if not isinstance(spec, str) or not spec.strip():
        raise NasxError(f"data spec {spec!r} is empty; use one of: {', '.join(loader_names())} (e.g. digits)")
    scheme, sep, path = spec.strip().partition(":")
    scheme = scheme.lower()
    if scheme not in LOADERS:
        raise NasxError(f"unknown data scheme {scheme!r} in {spec!r}; known: {', '.join(loader_names())}")
    loader = LOADERS[scheme]
    path = path if sep else None
    if not path:
        path = loader.default_path
    if loader.needs_path and not path:
        raise NasxError(f"data spec {spec!r} needs a path: {scheme}:/path/to/data")
    return scheme, path


def check_pair(x: np.ndarray, y: np.ndarray, where: str) -> None:
    """The shape checks every loader needs: 4-D images, 1-D labels, same count, labels >= 0."""
    if x.ndim != 4:
        raise NasxError(f"{where}: images have shape {tuple(x.shape)}, expected N x C x H x W")
    if y.ndim != 1:
        raise NasxError(f"{where}: labels have shape {tuple(y.shape)}, expected one label per image")
    if len(x) != len(y):
        raise NasxError(f"{where}: {len(x)} images but {len(y)} labels")
    if len(x) == 0:
        raise NasxError(f"{where}: no images")
    if y.min() < 0:
        raise NasxError(f"{where}: negative label {int(y.min())}")
