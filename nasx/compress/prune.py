"""Magnitude pruning of conv/linear weights with `torch.nn.utils.prune`: per layer, layer-wise or global.

The masks live as `weight_mask` buffers and a forward pre-hook recomputes `weight = weight_orig *
mask`, so fine-tuning (any optimizer) can never revive a pruned weight. Sparsity is driven to an
exact count of zeros per step (integer amounts), so iterative schedules land on the target.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils import prune

PRUNABLE = (nn.Conv2d, nn.Linear)


def prunable_layers(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """(name, module) of every conv/linear layer: what Deep Compression prunes and counts."""
    return [(n, m) for n, m in model.named_modules() if isinstance(m, PRUNABLE)]


def zeros_of(module: nn.Module) -> int:
    mask = getattr(module, "weight_mask", None)
    return int((mask == 0).sum()) if mask is not None else int((module.weight == 0).sum())


def sparsity(model: nn.Module) -> float:
    """Fraction of zero weights over all prunable layers."""
    layers = prunable_layers(model)
    total = sum(m.weight.numel() for _, m in layers)
    return sum(zeros_of(m) for _, m in layers) / max(1, total)


def _layerwise(layers, target: float) -> None:
    for _, m in layers:
        extra = round(target * m.weight.numel()) - zeros_of(m)
        prune.l1_unstructured(m, "weight", amount=max(0, extra))


def _global(layers, target: float) -> None:
    total = sum(m.weight.numel() for _, m in layers)
    extra = round(target * total) - sum(zeros_of(m) for _, m in layers)
    prune.global_unstructured([(m, "weight") for _, m in layers], prune.L1Unstructured, amount=max(0, extra))


def _per_layer(layers, targets: dict[str, float]) -> None:
    for name, m in layers:
        extra = round(targets[name] * m.weight.numel()) - zeros_of(m)
        prune.l1_unstructured(m, "weight", amount=max(0, extra))


MODES = {"layerwise": _layerwise, "global": _global}  # one overall target -> zeros


@torch.no_grad()
def prune_to(model: nn.Module, target: float | dict[str, float], mode: str = "global") -> None:
    """Raise the sparsity of the conv/linear weights to `target` (already-pruned weights stay pruned).

    A dict target gives each layer (by module name) its own rate, whatever `mode` says.
    """
    if isinstance(target, dict):
        _per_layer(prunable_layers(model), target)
    else:
        MODES[mode](prunable_layers(model), float(target))


def schedule(target: float, steps: int) -> list[float]:
    """Sparsity after each of `steps` iterative pruning rounds (equal steps in kept fraction's log)."""
    keep = 1.0 - target
    return [1.0 - keep ** ((i + 1) / steps) for i in range(steps)]


def layer_schedule(rates: dict[str, float], steps: int) -> list[dict[str, float]]:
    """`schedule` applied to each layer's own final rate."""
    per = {n: schedule(r, steps) for n, r in rates.items()}
    return [{n: per[n][i] for n in rates} for i in range(steps)]


def make_permanent(model: nn.Module) -> None:
    """Fold masks into plain weights (zeros stay zeros): the state_dict keys become the original ones."""
    for _, m in prunable_layers(model):
        if prune.is_pruned(m) and hasattr(m, "weight_mask"):
            prune.remove(m, "weight")


def masks(model: nn.Module) -> dict[str, torch.Tensor]:
    """name -> boolean keep-mask of each prunable layer (from the prune buffers, else non-zeros)."""
    out = {}
    for n, m in prunable_layers(model):
        mask = getattr(m, "weight_mask", None)
        out[n] = (mask != 0) if mask is not None else (m.weight != 0)
    return out
