"""A folder of images, one sub-folder per class: `folder:/path`.

Either /path/train/<class>/* and /path/test/<class>/*, or a single level /path/<class>/* (a test
split is then carved off). Images are read with PIL when present (it comes with matplotlib), else
with matplotlib.image; different sizes are resized to the most common one (PIL only).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np

from ..errors import NasxError
from .registry import RawData, register_loader

EXTENSIONS = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".ppm", ".pgm", ".tif", ".tiff", ".webp"}


def _read_pil(path: Path) -> np.ndarray:
    from PIL import Image

    with Image.open(path) as im:
        grey = im.mode in ("1", "L", "LA", "I", "I;16", "F")
        return np.asarray(im.convert("L" if grey else "RGB"))


def _read_mpl(path: Path) -> np.ndarray:
    import matplotlib.image as mpimg

    a = mpimg.imread(path)
    if a.dtype != np.uint8:
        a = (np.clip(a, 0, 1) * 255).round().astype(np.uint8)
    if a.ndim == 3 and a.shape[2] == 4:
        a = a[..., :3]
    return a


def _reader():
    try:
        import PIL.Image  # noqa: F401

        return _read_pil, True
    except ImportError:  # pragma: no cover - PIL ships with matplotlib
        return _read_mpl, False


def _resize(a: np.ndarray, hw: tuple[int, int]) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.fromarray(a).resize((hw[1], hw[0]), Image.BILINEAR))


def _class_dirs(root: Path) -> list[Path]:
    return sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))


def _scan(root: Path, classes: list[str]) -> list[tuple[Path, int]]:
    items = []
    for label, cls in enumerate(classes):
        d = root / cls
        if d.is_dir():
            items += [(p, label) for p in sorted(d.iterdir()) if p.suffix.lower() in EXTENSIONS]
    return items


def _safe_read(read, p: Path) -> np.ndarray:
    try:
        return read(p)
    except Exception as exc:  # noqa: BLE001 - any unreadable image is a data error
        raise NasxError(f"cannot read image {p}: {type(exc).__name__}: {exc}") from None


def _decode(items: list[tuple[Path, int]], hw: tuple[int, int], rgb: bool, read, can_resize) -> tuple:
    xs = []
    for p, _ in items:
        a = _safe_read(read, p)
        if rgb and a.ndim == 2:
            a = np.repeat(a[..., None], 3, axis=2)
        if not rgb and a.ndim == 3:
            a = a.mean(axis=2).round().astype(np.uint8)
        if a.shape[:2] != hw:
            if not can_resize:
                raise NasxError(f"image {p} is {a.shape[0]}x{a.shape[1]}, others are {hw[0]}x{hw[1]}")
            a = _resize(a, hw)
        xs.append(a[None] if a.ndim == 2 else a.transpose(2, 0, 1))
    return np.stack(xs), np.array([lbl for _, lbl in items], dtype=np.int64)


@register_loader("folder")
def load_folder(path: str) -> RawData:
    """Image folder: class sub-folders, optionally under train/ and test/."""
    root = Path(path)
    if not root.is_dir():
        raise NasxError(f"image folder {root} does not exist")
    split = (root / "train").is_dir() and (root / "test").is_dir()
    train_root = root / "train" if split else root
    classes = [d.name for d in _class_dirs(train_root)]
    if len(classes) < 2:
        raise NasxError(f"{train_root} needs at least two class sub-folders, found {len(classes)}")
    if split:
        extra = sorted({d.name for d in _class_dirs(root / "test")} - set(classes))
        if extra:
            raise NasxError(f"{root / 'test'} has classes missing from train/: {', '.join(extra)}")
    train = _scan(train_root, classes)
    test = _scan(root / "test", classes) if split else []
    if not train:
        raise NasxError(f"no images ({', '.join(sorted(EXTENSIONS))}) under {train_root}")
    if split and not test:
        raise NasxError(f"no images under {root / 'test'}")
    read, can_resize = _reader()
    probe = [_safe_read(read, p) for p, _ in train[:: max(1, len(train) // 50)]]
    hw = Counter(a.shape[:2] for a in probe).most_common(1)[0][0]
    rgb = any(a.ndim == 3 for a in probe)
    x, y = _decode(train, hw, rgb, read, can_resize)
    xt, yt = _decode(test, hw, rgb, read, can_resize) if test else (None, None)
    return RawData(x, y, xt, yt, num_classes=len(classes), augment="crop+flip", name=root.name)
