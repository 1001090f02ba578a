"""VGG (Simonyan & Zisserman 2014): configurations A/B/D/E = vgg11/13/16/19, with and without BN.

All convs are 3x3/1 pad 1 with ReLU, five 2x2 max-pools, FC 4096-4096-1000 with dropout 0.5.
VGG-16 at 224x224: 138,357,544 params (124M of them in the three FC layers), 15.35 G conv MACs +
0.12 G FC MACs. The `_bn` variants (BN after every conv, torchvision's) are not in the paper.

The seed's per-layer walk-through (3x224x224, fp32, forward, batch 1), as `measure.layer_table`
reproduces it: counting each stored tensor once (input, conv outputs -- ReLU is in place, so its
output is the conv's --, pool and FC outputs) gives 15.2 M activations = 61 MB per image, which is
exactly what the seed's own per-layer terms (3.2 M, 3.2 M, 0.8 M, ...) add up to; its printed total
of "24 M / 96 MB" does not follow from them. Counting ReLU outputs as separate tensors (no in-place)
gives 28.8 M / 115 MB. Either way ~60% of it sits in the first four convs and 89% of the params
in the three FC layers.

Small inputs: the pools use ceil mode (28 -> 14 -> 7 -> 4 -> 2 -> 1) and the FC layers are 512 wide
on the final 1x1x512 map (the usual "VGG for CIFAR" head).
"""

from __future__ import annotations

from torch import nn

from ..blocks import fc_head, is_small, out_size
from .registry import register_model

CONFIGS = {
    "A": (64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"),
    "B": (64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"),
    "D": (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"),
    "E": (64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M",
          512, 512, 512, 512, "M"),
}

VGG_RECIPE = {
    "batch_size": 256, "optimizer": "sgd", "momentum": 0.9, "lr": 1e-2,
    "lr_schedule": "divide by 10 when validation accuracy stops improving (3 reductions, stop at 74 epochs)",
    "weight_decay": 5e-4, "epochs": 74, "dropout": 0.5,
    "init": "A from N(0, 0.01); deeper nets initialised from A's first 4 convs and FC layers",
    "augmentation": [("random 224 crops of the isotropically rescaled image (S=256, or S in [256,512] "
                     "scale jitter for D/E)"), "horizontal flip", "RGB colour shift"],
    "eval": "ILSVRC-2012 val, single test scale, dense evaluation",
}


class VGG(nn.Module):
    def __init__(self, config, num_classes=1000, input_size=(3, 224, 224), bn=False):
        super().__init__()
        c, side = input_size[0], input_size[1]
        small = is_small(input_size)
        layers: list[nn.Module] = []
        for v in config:
            if v == "M":
                layers.append(nn.MaxPool2d(2, 2, ceil_mode=small))
                side = out_size(side, 2, 2, ceil=small)
                continue
            layers.append(nn.Conv2d(c, v, 3, padding=1))  # biases kept with BN, as torchvision
            layers += [nn.BatchNorm2d(v), nn.ReLU(inplace=True)] if bn else [nn.ReLU(inplace=True)]
            c = v
        self.features = nn.Sequential(*layers)
        self.classifier = fc_head(c * side * side, 512 if small else 4096, num_classes)

    def forward(self, x):
        return self.classifier(self.features(x))


_PAPER = "Simonyan & Zisserman, Very Deep Convolutional Networks for Large-Scale Image Recognition, ICLR 2015"
# Table 3 single-scale errors: A and B trained at S=256; D and E with scale jitter [256, 512].
_ERRORS = {"A": (29.6, 10.4), "B": (28.7, 9.9), "D": (25.6, 8.1), "E": (25.5, 8.0)}
_NAMES = {"A": "vgg11", "B": "vgg13", "D": "vgg16", "E": "vgg19"}


def _vgg(num_classes, input_size, config, bn):
    return VGG(CONFIGS[config], num_classes, input_size, bn)


for _cfg, _name in _NAMES.items():
    _top1, _top5 = _ERRORS[_cfg]
    register_model(_name, family="vgg", year=2014, paper=_PAPER, top1_err=_top1, top5_err=_top5,
                   recipe=VGG_RECIPE, kwargs={"config": _cfg, "bn": False},
                   variant_note=f"configuration {_cfg}; Table 3 single-scale error")(_vgg)
    register_model(f"{_name}_bn", family="vgg", year=2015, paper=_PAPER + " (+ BN, Ioffe & Szegedy 2015)",
                   recipe=VGG_RECIPE, kwargs={"config": _cfg, "bn": True},
                   variant_note=f"configuration {_cfg} with BN after every conv (torchvision); "
                                "not in the paper, error unpublished")(_vgg)
