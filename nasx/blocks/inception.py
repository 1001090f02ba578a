"""Inception building blocks: the GoogLeNet module, and inception modules written as data.

Every module is a `Mix` of branches (concatenated) or a `Res` (branches -> 1x1 conv -> scaled
residual add, Inception-ResNet). A branch is a tuple of steps: a conv `(c_out, k[, stride[, "v"]])`
(Conv-BN-ReLU, "same" padding unless "v" = valid; k may be (1, 7)), a pool name from `POOLS`, or a
nested `Mix`. `build_step` turns one step into a module; `same` makes an ImageNet stem stride-1.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import nn

from .conv import conv_bn_relu


class InceptionModule(nn.Module):
    """GoogLeNet's module: parallel 1x1, 3x3, 5x5 and 3x3-pool branches, concatenated.

    With `naive=True` the 3x3/5x5 convs see the input directly and the pool branch has no
    projection (the seed's "naive" module); otherwise 1x1 reductions precede them.
    """

    def __init__(self, c_in, c1, c3r, c3, c5r, c5, pool_proj, naive=False, bn=True, stride=1):
        super().__init__()
        self.naive = naive
        self.b1 = conv_bn_relu(c_in, c1, 1, stride, bn=bn) if c1 else None
        if naive:
            self.b3 = conv_bn_relu(c_in, c3, 3, stride, bn=bn)
            self.b5 = conv_bn_relu(c_in, c5, 5, stride, bn=bn)
            self.bp = nn.MaxPool2d(3, stride, 1)
        else:
            self.b3 = nn.Sequential(conv_bn_relu(c_in, c3r, 1, bn=bn), conv_bn_relu(c3r, c3, 3, stride, bn=bn))
            self.b5 = nn.Sequential(conv_bn_relu(c_in, c5r, 1, bn=bn), conv_bn_relu(c5r, c5, 5, stride, bn=bn))
            self.bp = nn.Sequential(nn.MaxPool2d(3, stride, 1), conv_bn_relu(c_in, pool_proj, 1, bn=bn))
        self.c_out = (c1 or 0) + c3 + c5 + (c_in if naive else pool_proj)

    def forward(self, x):
        outs = [b(x) for b in (self.b1, self.b3, self.b5, self.bp) if b is not None]
        return torch.cat(outs, 1)


class Mix(NamedTuple):
    branches: tuple


class Res(NamedTuple):
    branches: tuple
    scale: float
    relu: bool = True


POOLS = {
    "avg": lambda: nn.AvgPool2d(3, 1, 1, count_include_pad=False),
    "max": lambda: nn.MaxPool2d(3, 1, 1),
    "max2": lambda: nn.MaxPool2d(3, 2),                      # valid 3x3/2 (v3/v4/IRv2 reductions)
    "maxc": lambda: nn.MaxPool2d(3, 2, ceil_mode=True),      # BN-Inception's ceil-mode 3x3/2
}


class Branches(nn.Module):
    def __init__(self, c_in, branches):
        super().__init__()
        built = [build_steps(c_in, b) for b in branches]
        self.branches = nn.ModuleList(m for m, _ in built)
        self.c_out = sum(c for _, c in built)

    def forward(self, x):
        return torch.cat([b(x) for b in self.branches], 1)


class ResidualBranches(nn.Module):
    """Inception-ResNet block: branches -> linear 1x1 conv back to c_in -> x + scale * that -> ReLU."""

    def __init__(self, c_in, spec: Res):
        super().__init__()
        self.mix = Branches(c_in, spec.branches)
        self.up = nn.Conv2d(self.mix.c_out, c_in, 1)
        self.scale, self.relu, self.c_out = spec.scale, nn.ReLU() if spec.relu else nn.Identity(), c_in

    def forward(self, x):
        return self.relu(x + self.scale * self.up(self.mix(x)))


def build_step(c, step) -> tuple[nn.Module, int]:
    if isinstance(step, str):
        return POOLS[step](), c
    if isinstance(step, (Mix, Res)):
        m = Branches(c, step.branches) if isinstance(step, Mix) else ResidualBranches(c, step)
        return m, m.c_out
    c_out, k, *rest = step
    stride = rest[0] if rest else 1
    return conv_bn_relu(c, c_out, k, stride, padding=0 if rest[1:] == ["v"] else None), c_out


def build_steps(c, steps) -> tuple[nn.Sequential, int]:
    layers = []
    for step in steps:
        m, c = build_step(c, step)
        layers.append(m)
    return nn.Sequential(*layers), c


def same(steps):
    """The small-image stem: stride-1, padded version of an ImageNet stem (pools become 3/1/1)."""
    out = []
    for s in steps:
        if isinstance(s, str):
            out.append("max" if s.startswith("max") else s)
        elif isinstance(s, Mix):
            out.append(Mix(tuple(same(b) for b in s.branches)))
        else:
            out.append((s[0], s[1]))
    return tuple(out)


V2_STEM = ((64, 7, 2), "maxc", (64, 1), (192, 3), "maxc")
