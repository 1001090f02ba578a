"""Batched on-device augmentation: random crop with zero padding, horizontal flip, cutout.

All run on a whole batch with tensor ops (pad once, gather with per-sample offsets; flip through
torch.where; cutout as a broadcast row x column mask), so the same code is fast on CPU and CUDA
and never loops over samples in Python. Policies: "none", "crop" (for chiral images such as
digits), "crop+flip" (natural images); cutout (DeVries & Taylor 2017) is added on top by the
trainer from `Task.cutout`, after crop/flip, on the training split only.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch
import torch.nn.functional as F

from ..errors import NasxError


@dataclass(frozen=True)
class Augment:
    """pad: crop padding in pixels (0 = no crop); flip: random horizontal flip with p=0.5;
    cutout: side in pixels of the square zeroed per image after crop/flip (0 = none)."""

    pad: int = 0
    flip: bool = False
    policy: str = "none"
    cutout: int = 0

    @property
    def active(self) -> bool:
        return self.pad > 0 or self.flip or self.cutout > 0

    def __call__(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        if self.pad > 0:
            x = random_crop(x, self.pad, generator)
        if self.flip:
            x = random_flip(x, generator)
        if self.cutout > 0:
            x = cutout(x, self.cutout, generator)
        return x


def random_crop(x: torch.Tensor, pad: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """Zero-pad by `pad` and cut an HxW window at a random offset per sample (one gather)."""
    n, c, h, w = x.shape
    xp = F.pad(x, (pad, pad, pad, pad))
    off = torch.randint(0, 2 * pad + 1, (2, n), device=x.device, generator=generator)
    rows = (off[0, :, None] + torch.arange(h, device=x.device))[:, None, :, None]  # n,1,h,1
    cols = (off[1, :, None] + torch.arange(w, device=x.device))[:, None, None, :]  # n,1,1,w
    xp = xp.gather(2, rows.expand(n, c, h, w + 2 * pad))
    return xp.gather(3, cols.expand(n, c, h, w))


def random_flip(x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    mask = torch.rand(x.shape[0], device=x.device, generator=generator) < 0.5
    return torch.where(mask[:, None, None, None], x.flip(3), x)


def cutout(x: torch.Tensor, size: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """Zero one `size` x `size` square per image at a uniformly random centre, clipped at the border.

    As DARTS's `utils.Cutout` (DeVries & Taylor 2017): the centre (cy, cx) is uniform over all
    pixels and rows [cy - size//2, cy - size//2 + size) x the same columns are zeroed, so near a
    border less than size x size is cut. On normalized data zero is the mean pixel, as in DARTS
    (which cuts after Normalize). For even sizes this is exactly DARTS's square; for odd sizes
    DARTS cuts size-1 pixels (y +- size//2) where this cuts size.
    """
    n, _, h, w = x.shape
    top = torch.randint(0, h, (n,), device=x.device, generator=generator) - size // 2
    left = torch.randint(0, w, (n,), device=x.device, generator=generator) - size // 2
    rows = torch.arange(h, device=x.device)[None, :] - top[:, None]  # n,h: offset inside the square
    cols = torch.arange(w, device=x.device)[None, :] - left[:, None]
    inside = ((rows >= 0) & (rows < size))[:, :, None] & ((cols >= 0) & (cols < size))[:, None, :]
    return x.masked_fill(inside[:, None], 0.0)


def with_cutout(augment: Augment, size: int) -> Augment:
    """`augment` plus cutout of side `size` (0: unchanged)."""
    return replace(augment, cutout=int(size)) if size else augment


def _pad_for(size: int) -> int:
    return max(1, size // 8)  # 4 px at 32x32 (the CIFAR standard), 3 at 28x28, 1 at 8x8


POLICIES = {
    "none": lambda hw: Augment(0, False, "none"),
    "crop": lambda hw: Augment(_pad_for(min(hw)), False, "crop"),
    "crop+flip": lambda hw: Augment(_pad_for(min(hw)), True, "crop+flip"),
    "flip": lambda hw: Augment(0, True, "flip"),
}


def make_augment(policy: str, hw: tuple[int, int]) -> Augment:
    """Policy name -> Augment sized for images of height/width `hw`."""
    if policy not in POLICIES:
        raise NasxError(f"unknown augmentation policy {policy!r}; known: {', '.join(POLICIES)}")
    return POLICIES[policy](hw)
