"""The zero-cost proxies, each on a freshly initialised network (Abdelfattah et al., ICLR 2021;
Mellor et al., ICML 2021). Every score is a float where higher means "expected to train better".

Only Conv2d and Linear weights are scored (the reference code's `get_layer_metric_array`); the
per-layer sums are added up. The caller builds the network, seeds it and picks the minibatch.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from .registry import register_proxy


def _scored_layers(net: nn.Module):
    return [m for m in net.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]


@register_proxy("synflow", needs_data=False)
def synflow(net: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    """log of sum |w * dR/dw|, R = sum of the outputs of |weights| on an all-ones input (float64)."""
    net = net.double().eval()  # BN in eval mode: fresh running stats make it a fixed affine map
    with torch.no_grad():
        for p in net.state_dict().values():
            if p.is_floating_point():
                p.abs_()
    net.zero_grad(set_to_none=True)
    ones = torch.ones((1, *x.shape[1:]), dtype=torch.float64)
    net(ones).sum().backward()
    with torch.no_grad():
        total = sum(float((m.weight * m.weight.grad).abs().sum()) for m in _scored_layers(net)
                    if m.weight.grad is not None)
    return math.log(total) if total > 0 and math.isfinite(total) else -math.inf


def _loss_backward(net: nn.Module, x, y) -> None:
    net.train().zero_grad(set_to_none=True)
    F.cross_entropy(net(x), y).backward()


@register_proxy("snip")
def snip(net: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    """sum |w * dL/dw| of the cross-entropy on one minibatch (connection sensitivity, Lee et al. 2019)."""
    _loss_backward(net, x, y)
    with torch.no_grad():
        return float(sum((m.weight * m.weight.grad).abs().sum() for m in _scored_layers(net)
                         if m.weight.grad is not None))


@register_proxy("grad_norm")
def grad_norm(net: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    """sum over layers of ||dL/dw||_2 of the cross-entropy on one minibatch."""
    _loss_backward(net, x, y)
    with torch.no_grad():
        return float(sum(m.weight.grad.norm() for m in _scored_layers(net) if m.weight.grad is not None))


@register_proxy("jacob_cov")
def jacob_cov(net: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    """-sum(log(v + k) + 1/(v + k)) over eigenvalues v of the correlation of input Jacobians (NASWOT v1)."""
    net.train().zero_grad(set_to_none=True)
    x = x.clone().requires_grad_(True)
    out = net(x)
    out.backward(torch.ones_like(out))
    jac = x.grad.reshape(len(x), -1).double()
    corr = torch.corrcoef(jac)
    if not torch.isfinite(corr).all():
        return -math.inf
    v = torch.linalg.eigvalsh(corr)
    k = 1e-5
    return float(-(torch.log(v + k) + 1.0 / (v + k)).sum())


@register_proxy("naswot", batch_size=128)
def naswot(net: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    """log|K_H|: K_H[i,j] = ReLUs where samples i and j agree on being active or not (Mellor et al. 2021)."""
    n = len(x)
    kernel = torch.zeros(n, n, dtype=torch.float64)

    def hook(_module, inputs):
        codes = (inputs[0].detach().reshape(n, -1) > 0).double()
        kernel.add_(codes @ codes.T + (1.0 - codes) @ (1.0 - codes).T)

    handles = [m.register_forward_pre_hook(hook) for m in net.modules() if isinstance(m, (nn.ReLU, nn.ReLU6))]
    try:
        with torch.no_grad():
            net.train()(x)
    finally:
        for h in handles:
            h.remove()
    sign, logdet = torch.linalg.slogdet(kernel)
    return float(logdet) if float(sign) > 0 else -math.inf
