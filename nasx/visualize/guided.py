"""Guided backpropagation (Springenberg et al. 2015): the deconvnet's gradient-based equivalent.

For paths a deconvnet cannot invert (BN, average pooling, adds, concats, grouped/depthwise convs,
non-ReLU activations), the reconstruction is the gradient of the chosen activation w.r.t. the
input, with every ReLU module passing back only positive gradient where its input was positive.
With no ReLU modules on the way it is the plain gradient (a saliency map).
"""

from __future__ import annotations

import torch
from torch import nn


def _positive(_module, grad_input, _grad_output):
    return tuple(g.clamp(min=0) if g is not None else None for g in grad_input)


def guided_backprop(model: nn.Module, layer: nn.Module, x: torch.Tensor,
                    select) -> tuple[torch.Tensor, int]:
    """(d selected activation / d x, number of ReLUs guided); `select(act) -> scalar` picks the unit(s)."""
    relus = [m for m in model.modules() if isinstance(m, nn.ReLU)]
    inplace = [m.inplace for m in relus]
    captured = {}
    handles = [m.register_full_backward_hook(_positive) for m in relus]
    handles.append(layer.register_forward_hook(lambda _m, _i, out: captured.setdefault("act", out)))
    try:
        for m in relus:
            m.inplace = False  # backward hooks refuse in-place outputs
        x = x.detach().clone().requires_grad_(True)
        with torch.enable_grad():
            model(x)
            select(captured["act"]).backward()
    finally:
        for h in handles:
            h.remove()
        for m, flag in zip(relus, inplace):
            m.inplace = flag
    return x.grad.detach(), len(relus)
