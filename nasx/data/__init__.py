"""Data sets for nasx: loaders behind a scheme registry, deterministic splits, on-device batches.

    ds = load_dataset("digits")              # or "fashion-mnist", "cifar10:/dir", "idx:/dir",
    for xb, yb in ds.batches("train", 128, train=True, device="cuda"):  # "npz:/f.npz", "folder:/dir"
        ...
"""

from .augment import POLICIES, Augment, cutout, make_augment, random_crop, random_flip, with_cutout
from .batches import Batches
from .dataset import Dataset, decode, load_dataset
from .idx import read_idx
from .registry import LOADERS, RawData, loader_names, parse_spec, register_loader

__all__ = [
    "LOADERS",
    "POLICIES",
    "Augment",
    "Batches",
    "Dataset",
    "RawData",
    "cutout",
    "decode",
    "load_dataset",
    "loader_names",
    "make_augment",
    "parse_spec",
    "random_crop",
    "random_flip",
    "read_idx",
    "register_loader",
    "with_cutout",
]
