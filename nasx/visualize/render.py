"""PNG output with matplotlib's Agg backend: patch/reconstruction grids and first-layer filters."""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import torch

PAIRS_PER_ROW = 3


def to_image(t: torch.Tensor) -> np.ndarray:
    """(C, H, W) -> an HxW or HxWx3 array scaled to [0, 1] (per image, as the paper displays them)."""
    a = t.detach().float().cpu().numpy()
    a = a[0] if a.shape[0] == 1 else np.moveaxis(a[:3], 0, -1)
    lo, hi = float(a.min()), float(a.max())
    return (a - lo) / (hi - lo) if hi > lo else np.zeros_like(a)


def support_box(recon: torch.Tensor, margin: int = 1) -> tuple[slice, slice]:
    """Rows/cols where the reconstruction is non-zero (the receptive field it lit up), plus a margin."""
    nz = recon.abs().sum(0) > 0
    if not bool(nz.any()):
        return slice(None), slice(None)
    rows, cols = nz.any(1).nonzero().flatten(), nz.any(0).nonzero().flatten()
    h, w = nz.shape
    return (slice(max(0, int(rows[0]) - margin), min(h, int(rows[-1]) + 1 + margin)),
            slice(max(0, int(cols[0]) - margin), min(w, int(cols[-1]) + 1 + margin)))


def _show(ax, img: np.ndarray) -> None:
    ax.imshow(img, cmap="gray" if img.ndim == 2 else None, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])


def save_pairs(images: torch.Tensor, recons: torch.Tensor, title: str, path: Path) -> None:
    """Each image's patch (cropped to the reconstruction's support) beside its reconstruction."""
    k = len(images)
    rows = max(1, math.ceil(k / PAIRS_PER_ROW))
    cols = 2 * min(k, PAIRS_PER_ROW) or 2
    fig, axes = plt.subplots(rows, cols, figsize=(1.6 * cols, 1.7 * rows + 0.4), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for i in range(k):
        r, c = divmod(i, PAIRS_PER_ROW)
        box = support_box(recons[i])
        for j, t in enumerate((images[i], recons[i])):
            ax = axes[r][2 * c + j]
            ax.axis("on")
            _show(ax, to_image(t[(slice(None), *box)]))
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def save_filters(weight: torch.Tensor, title: str, path: Path) -> None:
    """First conv layer's filters, one tile each (RGB when they take 3 channels, else channel 0)."""
    n = weight.shape[0]
    cols = min(n, 8)
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(1.1 * cols, 1.1 * rows + 0.4), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for i in range(n):
        ax = axes[i // cols][i % cols]
        ax.axis("on")
        _show(ax, to_image(weight[i] if weight.shape[1] == 3 else weight[i, :1]))
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)
