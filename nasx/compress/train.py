"""Fine-tuning and accuracy for compression, on the engine's own trainer (masks/hooks ride along)."""

from __future__ import annotations

import torch
from torch import nn

from ..data import Dataset
from ..errors import NasxError
from ..evaluate import Task, resolve_device, train_and_evaluate

EVAL_BATCH = 1024


def finetune(model: nn.Module, dataset: Dataset, epochs: int, cfg, weight_decay: float, seed: int | None = None) -> None:
    """Train `model` in place for `epochs` (0: nothing) with a small constant-ish learning rate
    (`seed`: the shuffling order, varied between calls so repeated epochs see new orders)."""
    if epochs < 1:
        return
    task = Task(data=dataset.name, epochs=epochs, lr=cfg.lr, batch_size=cfg.batch_size,
                seed=cfg.seed if seed is None else seed,
                device=cfg.device, weight_decay=weight_decay, label_smoothing=0.0, latency=False,
                channels_last=False, amp=False)
    result = train_and_evaluate(model, dataset, task)
    if result.status != "ok":
        raise NasxError(f"compress: fine-tuning failed: {result.reason}")


@torch.no_grad()
def accuracy(model: nn.Module, dataset: Dataset, cfg=None, split: str = "test") -> float:
    """Top-1 accuracy (a fraction) on `split`."""
    device = resolve_device(getattr(cfg, "device", "auto"))
    model.to(device).eval()
    correct = total = 0
    for xb, yb in dataset.batches(split, EVAL_BATCH, device=device):
        correct += int((model(xb).argmax(1) == yb).sum())
        total += len(yb)
    return correct / max(1, total)
