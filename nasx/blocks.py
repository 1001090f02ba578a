"""Larger building blocks shared by the spaces and the zoo: inception modules, residual blocks.

These follow their papers' post-activation convention (Conv-BN-ReLU), unlike the pre-activation
cell primitives in `ops`. They are also registered as ops (`inception`, `residual`, `bottleneck`)
so a space may place them on an edge.
"""

from __future__ import annotations

import torch
from torch import nn

from .ops import register_op


def conv_bn_relu(c_in, c_out, k, stride=1, padding=None, groups=1, relu=True, bn=True):
    """Conv -> BN -> ReLU (the classic post-activation unit)."""
    if isinstance(k, int):
        padding = k // 2 if padding is None else padding
    elif padding is None:
        padding = (k[0] // 2, k[1] // 2)
    layers: list[nn.Module] = [nn.Conv2d(c_in, c_out, k, stride, padding, groups=groups, bias=not bn)]
    if bn:
        layers.append(nn.BatchNorm2d(c_out))
    if relu:
        layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


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


class BasicBlock(nn.Module):
    """ResNet basic block: 3x3-3x3 with an identity (or 1x1 projection) shortcut."""

    expansion = 1

    def __init__(self, c_in, c_out, stride=1):
        super().__init__()
        self.conv1 = conv_bn_relu(c_in, c_out, 3, stride)
        self.conv2 = conv_bn_relu(c_out, c_out, 3, relu=False)
        self.shortcut = (nn.Identity() if stride == 1 and c_in == c_out
                         else conv_bn_relu(c_in, c_out, 1, stride, relu=False))
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        return self.relu(self.conv2(self.conv1(x)) + self.shortcut(x))


class Bottleneck(nn.Module):
    """ResNet/ResNeXt bottleneck: 1x1 reduce, 3x3 (grouped for ResNeXt), 1x1 expand, shortcut."""

    def __init__(self, c_in, width, c_out, stride=1, groups=1):
        super().__init__()
        self.conv1 = conv_bn_relu(c_in, width, 1)
        self.conv2 = conv_bn_relu(width, width, 3, stride, groups=groups)
        self.conv3 = conv_bn_relu(width, c_out, 1, relu=False)
        self.shortcut = (nn.Identity() if stride == 1 and c_in == c_out
                         else conv_bn_relu(c_in, c_out, 1, stride, relu=False))
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        return self.relu(self.conv3(self.conv2(self.conv1(x))) + self.shortcut(x))


def _inception_op(c_in, c_out, stride, affine):
    # Four equal-width branches (the remainder goes to the 1x1 branch), reductions at half width.
    q = max(1, c_out // 4)
    r = max(1, q // 2)
    return InceptionModule(c_in, c_out - 3 * q, r, q, r, q, q, stride=stride)


register_op("inception", "inception module: 1x1 / 3x3 / 5x5 / pool branches with 1x1 reductions")(
    _inception_op)
register_op("residual", "ResNet basic block (3x3-3x3 + shortcut)")(
    lambda ci, co, s, a: BasicBlock(ci, co, s))
register_op("bottleneck", "ResNet bottleneck block (1x1-3x3-1x1 + shortcut)")(
    lambda ci, co, s, a: Bottleneck(ci, max(1, co // 4), co, s))
