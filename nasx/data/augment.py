"""Batched on-device augmentation: random crop with zero padding and horizontal flip.

Both run on a whole batch with tensor ops (pad once, gather with per-sample offsets; flip through
torch.where), so the same code is fast on CPU and CUDA and never loops over samples in Python.
Policies: "none", "crop" (for chiral images such as digits), "crop+flip" (natural images).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from ..errors import NasxError


@dataclass(frozen=True)
class Augment:
    """pad: crop padding in pixels (0 = no crop); flip: random horizontal flip with p=0.5."""

    pad: int = 0
    flip: bool = False
    policy: str = "none"

    @property
    def active(self) -> bool:
        return self.pad > 0 or self.flip

    def __call__(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        if self.pad > 0:
            x = random_crop(x, self.pad, generator)
        if self.flip:
            x = random_flip(x, generator)
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
