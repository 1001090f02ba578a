"""DenseNet-BC (Huang, Liu, van der Maaten, Weinberger 2017): 121/169/201 (k=32) and 161 (k=48).

Each layer is BN-ReLU-Conv1x1(4k)-BN-ReLU-Conv3x3(k) and sees the concatenation of every earlier
map in its block; transitions (BN-ReLU-Conv1x1 halving the channels, 2x2 avg-pool) sit between
blocks. Params equal torchvision's (DenseNet-121: 7,978,856). Small inputs: 3x3/1 stem, no pool.
"""

from __future__ import annotations

import torch
from torch import nn

from ..blocks import gap_head, is_small
from .registry import register_model


def bn_relu_conv(c_in, c_out, k):
    return nn.Sequential(nn.BatchNorm2d(c_in), nn.ReLU(inplace=True), nn.Conv2d(c_in, c_out, k, 1, k // 2, bias=False))


class DenseLayer(nn.Module):
    def __init__(self, c_in, growth, bn_size=4):
        super().__init__()
        self.body = nn.Sequential(bn_relu_conv(c_in, bn_size * growth, 1), bn_relu_conv(bn_size * growth, growth, 3))

    def forward(self, x):
        return torch.cat([x, self.body(x)], 1)


def _densenet(num_classes, input_size, growth, depths, init):
    c = input_size[0]
    if is_small(input_size):
        layers: list[nn.Module] = [nn.Conv2d(c, init, 3, 1, 1, bias=False)]
    else:
        layers = [nn.Conv2d(c, init, 7, 2, 3, bias=False), nn.BatchNorm2d(init), nn.ReLU(inplace=True),
                  nn.MaxPool2d(3, 2, 1)]
    c = init
    for i, n in enumerate(depths):
        for _ in range(n):
            layers.append(DenseLayer(c, growth))
            c += growth
        if i < len(depths) - 1:
            layers += [bn_relu_conv(c, c // 2, 1), nn.AvgPool2d(2, 2)]
            c //= 2
    layers += [nn.BatchNorm2d(c), nn.ReLU(inplace=True)]
    return nn.Sequential(nn.Sequential(*layers), gap_head(c, num_classes))


RECIPE = {
    "batch_size": 256, "optimizer": "sgd", "nesterov": True, "momentum": 0.9, "lr": 0.1,
    "lr_schedule": {"divide_by_10_at_epochs": [30, 60]}, "epochs": 90, "weight_decay": 1e-4,
    "dropout": 0.0, "init": "He normal",
    "augmentation": ["fb.resnet.torch scheme: random-sized crop", "horizontal flip", "colour jitter, lighting"],
    "eval": "ILSVRC-2012 val, single 224 crop",
}
MODELS = {  # name: (growth k, block depths, stem width, single-crop top-1 / top-5 error, Table 3)
    "densenet121": (32, (6, 12, 24, 16), 64, 25.02, 7.71),
    "densenet169": (32, (6, 12, 32, 32), 64, 23.80, 6.85),
    "densenet201": (32, (6, 12, 48, 32), 64, 22.58, 6.34),
    "densenet161": (48, (6, 12, 36, 24), 96, 22.33, 6.15),
}
for _name, (_k, _d, _init, _t1, _t5) in MODELS.items():
    register_model(_name, family="densenet", year=2017, top1_err=_t1, top5_err=_t5, recipe=RECIPE,
                   paper="Huang, Liu, van der Maaten, Weinberger, Densely Connected Convolutional Networks, "
                         "CVPR 2017",
                   kwargs={"growth": _k, "depths": _d, "init": _init},
                   variant_note=f"DenseNet-BC, growth rate {_k}, compression 0.5; single-crop error")(_densenet)
