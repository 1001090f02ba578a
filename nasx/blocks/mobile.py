"""Mobile units: MobileNetV2's inverted residual, ShuffleNet v1 / v2 units and their stem.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .conv import bn_relu6, conv_bn_relu
from .sizing import is_small


class InvertedResidual(nn.Module):
    """1x1 expand (x t) -> ReLU6 -> dw3x3 -> ReLU6 -> linear 1x1 project; residual when shapes match."""

    def __init__(self, c_in, c_out, stride, t):
        super().__init__()
        hidden = c_in * t
        layers = [] if t == 1 else [bn_relu6(c_in, hidden, 1)]
        layers += [bn_relu6(hidden, hidden, 3, stride, hidden), conv_bn_relu(hidden, c_out, 1, relu=False)]
        self.body = nn.Sequential(*layers)
        self.residual = stride == 1 and c_in == c_out

    def forward(self, x):
        return x + self.body(x) if self.residual else self.body(x)


def channel_shuffle(x, groups):
    n, c, h, w = x.shape
    return x.view(n, groups, c // groups, h, w).transpose(1, 2).reshape(n, c, h, w)


class ShuffleV1Unit(nn.Module):
    def __init__(self, c_in, c_out, groups, stride, group_first=True):
        super().__init__()
        self.stride, self.groups = stride, groups
        branch_out = c_out - c_in if stride == 2 else c_out
        mid = c_out // 4
        self.reduce = conv_bn_relu(c_in, mid, 1, groups=groups if group_first else 1)
        self.dw = conv_bn_relu(mid, mid, 3, stride, groups=mid, relu=False)
        self.expand = conv_bn_relu(mid, branch_out, 1, groups=groups, relu=False)

    def forward(self, x):
        out = self.expand(self.dw(channel_shuffle(self.reduce(x), self.groups)))
        if self.stride == 2:
            return F.relu(torch.cat([F.avg_pool2d(x, 3, 2, 1), out], 1))
        return F.relu(x + out)


class ShuffleV2Unit(nn.Module):
    def __init__(self, c_in, c_out, stride):
        super().__init__()
        self.stride = stride
        half = c_out // 2
        if stride == 2:
            self.left = nn.Sequential(conv_bn_relu(c_in, c_in, 3, 2, groups=c_in, relu=False),
                                      conv_bn_relu(c_in, half, 1))
        self.right = nn.Sequential(conv_bn_relu(c_in if stride == 2 else half, half, 1),
                                   conv_bn_relu(half, half, 3, stride, groups=half, relu=False),
                                   conv_bn_relu(half, half, 1))

    def forward(self, x):
        if self.stride == 2:
            out = torch.cat([self.left(x), self.right(x)], 1)
        else:
            a, b = x.chunk(2, dim=1)
            out = torch.cat([a, self.right(b)], 1)
        return channel_shuffle(out, 2)


def shuffle_stem(c_in, input_size, width=24):
    if is_small(input_size):
        return [conv_bn_relu(c_in, width, 3)]
    return [conv_bn_relu(c_in, width, 3, 2), nn.MaxPool2d(3, 2, 1)]
