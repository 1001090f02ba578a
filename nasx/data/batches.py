"""Mini-batches from tensors that live on the training device.

The whole split is moved to the device once; each epoch draws a permutation from a seeded
torch.Generator on that device and slices batches from it, so there is no DataLoader, no worker
process and no host->device copy per step, and the order is reproducible for a given seed.
"""

from __future__ import annotations

import torch

from .augment import Augment


class Batches:
    """Iterate (x, y) batches; every `iter()` is a new epoch (new permutation, new augmentation draws)."""

    def __init__(self, x: torch.Tensor, y: torch.Tensor, batch_size: int, *, shuffle: bool = True,
                 augment: Augment | None = None, seed: int = 0, device: str | torch.device = "cpu",
                 drop_last: bool = False):
        self.device = torch.device(device)
        self.x = x.to(self.device, non_blocking=True)
        self.y = y.to(self.device, non_blocking=True)
        self.batch_size = max(1, int(batch_size))
        self.shuffle = shuffle
        self.augment = augment if augment is not None and augment.active else None
        # drop_last keeps BatchNorm away from a final batch of 1; a split smaller than a batch stays whole
        self.drop_last = drop_last and len(self.x) > self.batch_size
        self.generator = torch.Generator(device=self.device)
        self.generator.manual_seed(int(seed))

    def __len__(self) -> int:
        n, b = len(self.x), self.batch_size
        return n // b if self.drop_last else -(-n // b)

    def __iter__(self):
        n = len(self.x)
        order = torch.randperm(n, device=self.device, generator=self.generator) if self.shuffle else None
        for i in range(len(self)):
            if order is None:
                xb, yb = self.x[i * self.batch_size:(i + 1) * self.batch_size], \
                    self.y[i * self.batch_size:(i + 1) * self.batch_size]
            else:
                idx = order[i * self.batch_size:(i + 1) * self.batch_size]
                xb, yb = self.x[idx], self.y[idx]
            if self.augment is not None:
                xb = self.augment(xb, self.generator)
            yield xb, yb
