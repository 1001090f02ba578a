"""Top-k activating images of a layer's feature maps, and their projections to pixel space.

Each image's strongest activation in the chosen map is kept and every other activation of the
layer set to zero (Zeiler & Fergus, Sec. 2.1); that single activation is projected back by the
deconvnet when the path allows it, else by guided backprop. `Projection.method` says which.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from .deconv import blocker, deconvnet
from .guided import guided_backprop
from .trace import find_layer, trace

DECONVNET = "deconvnet"
GUIDED = "guided-backprop"
GRADIENT = "gradient"


@dataclass
class Projection:
    channel: int
    indices: list[int]  # dataset indices of the top images, strongest first
    values: list[float]  # their maximal activation
    images: torch.Tensor  # (k, C, H, W)
    reconstructions: torch.Tensor  # (k, C, H, W)
    method: str
    reason: str  # why that method (the op that has no inverse, or "exact inverse")


def _spatial(act: torch.Tensor) -> torch.Tensor:
    return act if act.dim() == 4 else act.reshape(act.shape[0], act.shape[1], 1, 1)


@torch.no_grad()
def feature_maxima(model: nn.Module, layer: str, x: torch.Tensor, batch: int = 256) -> torch.Tensor:
    """(N, channels) maximum activation of each feature map of `layer` for each image of `x`."""
    module, got = find_layer(model, layer), []
    handle = module.register_forward_hook(lambda _m, _i, out: got.append(_spatial(out).amax((2, 3))))
    try:
        model.eval()
        for i in range(0, len(x), batch):
            model(x[i:i + batch])
    finally:
        handle.remove()
    return torch.cat(got)


def single_activation(act: torch.Tensor, channel: int) -> torch.Tensor:
    """A copy of `act` with everything zero but each image's largest value in `channel`."""
    a = _spatial(act)
    flat = a[:, channel].flatten(1)
    pos = flat.argmax(1)
    keep = torch.zeros_like(a)
    keep[:, channel].view(len(a), -1)[torch.arange(len(a)), pos] = flat[torch.arange(len(a)), pos]
    return keep.reshape(act.shape)


def project(model: nn.Module, layer: str, x: torch.Tensor, channel: int) -> tuple[torch.Tensor, str, str]:
    """(reconstructions of `x` for the strongest `channel` activation, method, reason)."""
    model.eval()
    path = trace(model, layer, x)
    reason = path.broken or (f"{blocker(path.steps)} has no exact inverse" if blocker(path.steps) else None)
    if reason is None:
        return deconvnet(path.steps, single_activation(path.target, channel)), DECONVNET, "exact inverse"

    def select(act):
        return (single_activation(act.detach(), channel) != 0).float().mul(act).sum()

    grad, relus = guided_backprop(model, find_layer(model, layer), x, select)
    return grad, GUIDED if relus else GRADIENT, reason


def top_projections(model: nn.Module, layer: str, x: torch.Tensor, channels: list[int],
                    top: int) -> list[Projection]:
    maxima = feature_maxima(model, layer, x)
    out = []
    for c in channels:
        values, idx = maxima[:, c].topk(min(top, len(x)))
        images = x[idx]
        recon, method, reason = project(model, layer, images, c)
        out.append(Projection(c, idx.tolist(), values.tolist(), images, recon, method, reason))
    return out
