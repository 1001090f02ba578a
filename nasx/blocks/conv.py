"""Post-activation conv units (Conv-BN-ReLU, Conv-BN-ReLU6): the papers' convention for the classic CNNs.
"""

from __future__ import annotations

from torch import nn


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


def bn_relu6(c_in, c_out, k, stride=1, groups=1):
    block = conv_bn_relu(c_in, c_out, k, stride, groups=groups, relu=False)
    block.append(nn.ReLU6(inplace=True))
    return block
