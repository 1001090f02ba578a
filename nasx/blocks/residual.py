"""Residual blocks: ResNet basic / bottleneck (v1.5 and the paper's v1), option-A shortcut, the ImageNet
stem, PyramidNet's block. Post-activation (Conv-BN-ReLU) as in the papers, unlike the pre-activation
cell primitives in `nasx.ops`.
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import nn

from .conv import conv_bn_relu
from .sizing import is_small


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


class BottleneckV1(Bottleneck):
    """`Bottleneck` with the stride moved to the first 1x1 conv (the paper's placement)."""

    def __init__(self, c_in, width, c_out, stride=1, groups=1):
        super().__init__(c_in, width, c_out, stride, groups)
        if stride != 1:
            self.conv1 = conv_bn_relu(c_in, width, 1, stride)
            self.conv2 = conv_bn_relu(width, width, 3, 1, groups=groups)


class ShortcutA(nn.Module):
    """Option A: identity on every other pixel, extra channels zero-padded (no parameters)."""

    def __init__(self, c_in, c_out, stride):
        super().__init__()
        self.stride, self.pad = stride, c_out - c_in

    def forward(self, x):
        x = x[:, :, ::self.stride, ::self.stride]
        return F.pad(x, (0, 0, 0, 0, self.pad // 2, self.pad - self.pad // 2))


def imagenet_stem(c_in, input_size, width=64) -> list[nn.Module]:
    if is_small(input_size):
        return [conv_bn_relu(c_in, width, 3)]
    return [conv_bn_relu(c_in, width, 7, 2), nn.MaxPool2d(3, 2, 1)]


def _bn_conv(c_in, c_out, k, stride=1, relu=True):
    layers = [nn.BatchNorm2d(c_in)] + ([nn.ReLU(inplace=True)] if relu else [])
    return layers + [nn.Conv2d(c_in, c_out, k, stride, k // 2, bias=False)]


class PyramidBlock(nn.Module):
    def __init__(self, c_in, planes, stride, bottleneck):
        super().__init__()
        if bottleneck:
            layers = (_bn_conv(c_in, planes, 1, relu=False) + _bn_conv(planes, planes, 3, stride)
                      + _bn_conv(planes, planes * 4, 1))
            self.c_out = planes * 4
        else:
            layers = _bn_conv(c_in, planes, 3, stride, relu=False) + _bn_conv(planes, planes, 3)
            self.c_out = planes
        self.body = nn.Sequential(*layers, nn.BatchNorm2d(self.c_out))
        self.pool = nn.AvgPool2d(2, 2, ceil_mode=True) if stride != 1 else nn.Identity()

    def forward(self, x):
        out = self.body(x)
        short = self.pool(x)
        return out + F.pad(short, (0, 0, 0, 0, 0, out.shape[1] - short.shape[1]))
