"""Fashion-MNIST from Debian's `dataset-fashion-mnist` package (IDX files in /usr/share/datasets).

Default augmentation is crop + horizontal flip: all ten classes (shirts, shoes, bags...) are
mirror-symmetric categories, so a flipped image keeps its label (unlike MNIST digits).
"""

from __future__ import annotations

from pathlib import Path

from ..errors import NasxError
from .idx import find_idx, read_idx_folder
from .registry import RawData, register_loader

DEBIAN_DIR = "/usr/share/datasets/fashion-mnist"


@register_loader("fashion-mnist", needs_path=True, default_path=DEBIAN_DIR)
def load_fashion_mnist(path: str) -> RawData:
    """Fashion-MNIST (60k/10k 28x28 grey), Debian package dataset-fashion-mnist."""
    if not Path(path).is_dir() or find_idx(Path(path), "train", "images") is None:
        raise NasxError(f"Fashion-MNIST not found in {path}: run `apt-get install dataset-fashion-mnist` "
                        "or point to the IDX files with idx:/path")
    return read_idx_folder(path, "fashion-mnist", "crop+flip")
