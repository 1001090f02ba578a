"""scikit-learn's bundled 8x8 digits (1797 images): a dataset that needs no download, for CI."""

from __future__ import annotations

import numpy as np

from .registry import RawData, register_loader


@register_loader("digits", needs_path=False)
def load_digits(path: str | None = None) -> RawData:
    """scikit-learn's 8x8 digits (1797 images, 10 classes; bundled, no download)."""
    from sklearn.datasets import load_digits as sk_digits

    d = sk_digits()
    x = (d.images * (255.0 / 16.0)).round().astype(np.uint8)[:, None]
    return RawData(x, d.target.astype(np.int64), num_classes=10, augment="none", name="digits")
