"""SqueezeNet 1.0 (Iandola et al. 2016) and 1.1 (the authors' repo: 2.4x fewer MACs, same accuracy).

Fire module = 1x1 squeeze, then parallel 1x1 and 3x3 expands concatenated; no FC layer (a 1x1 conv
to the classes, then global average pooling). Params equal torchvision's (1,248,424 / 1,235,496).
Small inputs: conv1 becomes 3x3/1 and its max-pool is dropped (the later two pools remain).
"""

from __future__ import annotations

import torch
from torch import nn

from ..blocks import is_small
from .registry import register_model


class Fire(nn.Module):
    def __init__(self, c_in, squeeze, expand):
        super().__init__()
        self.squeeze = nn.Sequential(nn.Conv2d(c_in, squeeze, 1), nn.ReLU(inplace=True))
        self.e1 = nn.Sequential(nn.Conv2d(squeeze, expand, 1), nn.ReLU(inplace=True))
        self.e3 = nn.Sequential(nn.Conv2d(squeeze, expand, 3, padding=1), nn.ReLU(inplace=True))
        self.c_out = 2 * expand

    def forward(self, x):
        s = self.squeeze(x)
        return torch.cat([self.e1(s), self.e3(s)], 1)


# version: (conv1 width, conv1 kernel, layout); ints are fire squeeze widths (expand = 4x), "M" = 3/2 pool.
VERSIONS = {
    "1_0": (96, 7, (16, 16, 32, "M", 32, 48, 48, 64, "M", 64)),
    "1_1": (64, 3, ("M", 16, 16, "M", 32, 32, "M", 48, 48, 64, 64)),
}


def _squeezenet(num_classes, input_size, version):
    width, k, layout = VERSIONS[version]
    small = is_small(input_size)
    layers: list[nn.Module] = ([nn.Conv2d(input_size[0], width, 3, 1, 1), nn.ReLU(inplace=True)] if small else
                               [nn.Conv2d(input_size[0], width, k, 2), nn.ReLU(inplace=True)])
    if version == "1_0" and not small:
        layers.append(nn.MaxPool2d(3, 2, ceil_mode=True))
    c = width
    for i, v in enumerate(layout):
        if v == "M":
            if not (small and i == 0):
                layers.append(nn.MaxPool2d(3, 2, ceil_mode=True))
            continue
        layers.append(Fire(c, v, 4 * v))
        c = layers[-1].c_out
    head = nn.Sequential(nn.Dropout(0.5), nn.Conv2d(c, num_classes, 1), nn.ReLU(inplace=True),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten())
    return nn.Sequential(nn.Sequential(*layers), head)


RECIPE = {
    "framework": "caffe", "optimizer": "sgd", "momentum": 0.9, "lr": 0.04, "lr_schedule": "linear decay to 0",
    "batch_size": 512, "weight_decay": 2e-4, "dropout": 0.5, "iterations": 170_000,
    "augmentation": ["random 227 crop", "horizontal flip"], "eval": "ILSVRC-2012 val, 1 crop",
}
_PAPER = ("Iandola et al., SqueezeNet: AlexNet-level accuracy with 50x fewer parameters and <0.5MB model "
          "size, arXiv:1602.07360")
register_model("squeezenet1_0", family="squeezenet", year=2016, paper=_PAPER, top1_err=42.5, top5_err=19.7,
               recipe=RECIPE, kwargs={"version": "1_0"},
               variant_note="SqueezeNet 1.0 without bypass connections")(_squeezenet)
register_model("squeezenet1_1", family="squeezenet", year=2016, paper=_PAPER + " (v1.1 from the authors' repo)",
               recipe=RECIPE, kwargs={"version": "1_1"},
               variant_note="3x3 conv1 with 64 filters, earlier pools; accuracy reported equal to 1.0, "
                            "no separate figure published")(_squeezenet)
