"""Weight sharing: 1-D k-means per layer over the kept weights, then centroid fine-tuning.

Linear initialisation (evenly spaced between the layer's min and max) is the paper's choice: it
keeps centroids on the rare large weights that density-based inits starve. During fine-tuning the
layer's weight is recomputed as `centroids[assignment] * mask` by a forward pre-hook (like
torch's pruning hooks), so autograd's gather-backward sums each weight's gradient into its
cluster's centroid: exactly the paper's per-cluster gradient accumulation.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from .prune import prunable_layers

KMEANS_ITERS = 50


def linear_init(values: torch.Tensor, k: int) -> torch.Tensor:
    lo, hi = float(values.min()), float(values.max())
    return torch.linspace(lo, hi, k, dtype=values.dtype)


def kmeans_1d(values: torch.Tensor, k: int, iters: int = KMEANS_ITERS) -> tuple[torch.Tensor, torch.Tensor]:
    """(centroids[k], assignment per value) by Lloyd's algorithm from the linear initialisation."""
    centroids = linear_init(values, k)
    assign = torch.zeros(len(values), dtype=torch.long)
    for _ in range(iters):
        new = (values[:, None] - centroids[None, :]).abs().argmin(1)
        sums = torch.zeros(k, dtype=values.dtype).index_add_(0, new, values)
        counts = torch.bincount(new, minlength=k).to(values.dtype)
        moved = torch.where(counts > 0, sums / counts.clamp(min=1), centroids)
        done = torch.equal(new, assign) and torch.allclose(moved, centroids)
        centroids, assign = moved, new
        if done:
            break
    return centroids, assign


@dataclass
class Shared:
    """One layer's shared weights: codebook, per-kept-weight cluster index, keep mask."""

    centroids: torch.Tensor  # (k,)
    assignment: torch.Tensor  # (kept,) long, row-major order of the kept positions
    mask: torch.Tensor  # bool, weight shape

    def weight(self) -> torch.Tensor:
        w = torch.zeros(self.mask.shape, dtype=self.centroids.dtype, device=self.centroids.device)
        w[self.mask] = self.centroids[self.assignment]
        return w


def cluster_layer(weight: torch.Tensor, mask: torch.Tensor, bits: int) -> Shared:
    kept = weight.detach()[mask].float().cpu()
    if kept.numel() == 0:
        return Shared(torch.zeros(0), torch.zeros(0, dtype=torch.long), mask.cpu())
    centroids, assign = kmeans_1d(kept, min(1 << bits, kept.numel()))
    return Shared(centroids, assign, mask.cpu())


class _SharedHook:
    """Forward pre-hook: module.weight = centroids gathered by assignment, zeros elsewhere."""

    def __init__(self, shared: Shared):
        self.shared = shared

    def __call__(self, module, _inputs):
        s = self.shared
        flat = torch.zeros(s.mask.numel(), dtype=module.centroids.dtype, device=module.centroids.device)
        idx = module.kept_positions
        flat = flat.index_put((idx,), module.centroids[module.cluster_index])
        module.weight = flat.view(s.mask.shape)


def attach(model: nn.Module, shared: dict[str, Shared]) -> None:
    """Replace each layer's weight parameter by trainable `centroids` behind a forward pre-hook."""
    for name, m in prunable_layers(model):
        s = shared[name]
        device = m.weight.device
        del m._parameters["weight"]
        m.register_parameter("centroids", nn.Parameter(s.centroids.to(device)))
        m.register_buffer("cluster_index", s.assignment.to(device), persistent=False)
        m.register_buffer("kept_positions", s.mask.flatten().nonzero().flatten().to(device), persistent=False)
        m._nasx_share_hook = m.register_forward_pre_hook(_SharedHook(s))
        _SharedHook(s)(m, ())


@torch.no_grad()
def detach(model: nn.Module, shared: dict[str, Shared]) -> None:
    """Undo `attach`: plain weight parameters again, with the fine-tuned centroids written back."""
    for name, m in prunable_layers(model):
        s = shared[name]
        device = m.centroids.device
        s.centroids = m.centroids.detach().cpu().clone()
        m._nasx_share_hook.remove()
        del m._nasx_share_hook
        del m._parameters["centroids"], m._buffers["cluster_index"], m._buffers["kept_positions"]
        if "weight" in m.__dict__:
            del m.__dict__["weight"]
        m.register_parameter("weight", nn.Parameter(s.weight().to(device)))
