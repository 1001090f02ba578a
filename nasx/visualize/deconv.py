"""The deconvnet of Zeiler & Fergus (2013): each layer's approximate inverse, applied top-down.

unpool: put each pooled value back at its recorded max position (the "switches", as max_pool2d's
return_indices gives them); rectify: ReLU on the reconstruction; filter: conv_transpose2d with the
layer's own weights (no bias). `INVERSES` maps a module type to (supported?, inverse); any module
on the path that has no entry, or an unsupported configuration, makes the caller use gradients.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from .trace import Step


@dataclass(frozen=True)
class Inverse:
    supported: Callable[[nn.Module], bool]
    apply: Callable[[Step, torch.Tensor], torch.Tensor]


def _conv_ok(m: nn.Conv2d) -> bool:
    return m.groups == 1 and m.padding_mode == "zeros" and not isinstance(m.padding, str)


def _conv_t(step: Step, s: torch.Tensor) -> torch.Tensor:
    m = step.module
    y = F.conv_transpose2d(s, m.weight.detach(), None, m.stride, m.padding, 0, 1, m.dilation)
    h, w = step.input.shape[-2:]
    if y.shape[-2] < h or y.shape[-1] < w:  # input rows/cols the conv never reached (stride leftovers)
        y = F.pad(y, (0, w - y.shape[-1], 0, h - y.shape[-2]))
    return y[..., :h, :w]


def switches(m: nn.MaxPool2d, x: torch.Tensor) -> torch.Tensor:
    """Flat (per channel) positions of each pooling window's maximum in `x`."""
    _, idx = F.max_pool2d(x, m.kernel_size, m.stride, m.padding, m.dilation, m.ceil_mode, return_indices=True)
    return idx


def _unpool(step: Step, s: torch.Tensor) -> torch.Tensor:
    x = step.input
    idx = switches(step.module, x).flatten(2)
    out = torch.zeros(*x.shape[:2], x.shape[-2] * x.shape[-1], dtype=s.dtype, device=s.device)
    out.scatter_add_(2, idx, s.flatten(2))  # overlapping windows that share a switch add up
    return out.view_as(x)


def _unpad(step: Step, s: torch.Tensor) -> torch.Tensor:
    left, right, top, bottom = step.module.padding
    h, w = s.shape[-2:]
    return s[..., top:h - bottom, left:w - right]


def _always(_m) -> bool:
    return True


INVERSES: dict[type, Inverse] = {
    nn.Conv2d: Inverse(_conv_ok, _conv_t),
    nn.ReLU: Inverse(_always, lambda _step, s: F.relu(s)),
    nn.MaxPool2d: Inverse(lambda m: not m.return_indices, _unpool),
    nn.Identity: Inverse(_always, lambda _step, s: s),
    nn.Dropout: Inverse(_always, lambda _step, s: s),
    nn.ZeroPad2d: Inverse(_always, _unpad),
    nn.Flatten: Inverse(_always, lambda step, s: s.reshape(step.input.shape)),
    nn.Linear: Inverse(_always, lambda step, s: s @ step.module.weight.detach()),
}


def blocker(steps: list[Step]) -> str | None:
    """The first step the deconvnet cannot invert, as 'name (Type)', or None when all can be."""
    for step in steps:
        inv = INVERSES.get(type(step.module))
        if inv is None or not inv.supported(step.module):
            return f"{step.name} ({type(step.module).__name__})"
    return None


@torch.no_grad()
def deconvnet(steps: list[Step], signal: torch.Tensor) -> torch.Tensor:
    """Project `signal` (shaped like the last step's output) back to the input through `steps`."""
    s = signal
    for step in reversed(steps):
        s = INVERSES[type(step.module)].apply(step, s)
    return s
