"""PyramidNet (Han, Kim, Kim 2017) for CIFAR: widths grow by alpha/N at every block, not per stage.

Blocks are pre-activation without the first ReLU (BN-Conv-BN-ReLU-Conv-BN) and end without ReLU;
the shortcut is an identity (2x2 avg-pool when strided) zero-padded to the new width. The channel
rule (round(16 + k*alpha/N)) and the final BN-ReLU follow the authors' PyTorch code. Params:
110/a48 1.7 M, 110/a84 3.8 M, 110/a270 28.5 M (paper 28.3 M), 164-bottleneck/a270 27.2 M (27.0 M).
Native input is 32x32 so 28x28 needs no change (global pooling).
"""

from __future__ import annotations

from torch import nn

from ..blocks import PyramidBlock, gap_head
from .registry import register_model


def _pyramidnet(num_classes, input_size, depth, alpha, bottleneck):
    n = (depth - 2) // (9 if bottleneck else 6)
    add = alpha / (3 * n)
    layers: list[nn.Module] = [nn.Conv2d(input_size[0], 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16)]
    c, width = 16, 16.0
    for k in range(3 * n):
        width += add
        layers.append(PyramidBlock(c, round(width), 2 if k in (n, 2 * n) else 1, bottleneck))
        c = layers[-1].c_out
    layers += [nn.BatchNorm2d(c), nn.ReLU(inplace=True)]
    return nn.Sequential(nn.Sequential(*layers), gap_head(c, num_classes))


RECIPE = {
    "batch_size": 128, "optimizer": "sgd", "nesterov": True, "momentum": 0.9, "lr": 0.1,
    "lr_schedule": {"divide_by_10_at_epochs": [150, 225]}, "epochs": 300, "weight_decay": 1e-4,
    "lr_cifar100": "0.5 (CIFAR-100)", "augmentation": ["4-pixel padding", "random 32x32 crop", "horizontal flip"],
    "eval": "CIFAR-10 test (CIFAR-100 error in the variant note)",
}
MODELS = {  # name: (depth, alpha, bottleneck, CIFAR-10 err, CIFAR-100 err), Table 4
    "pyramidnet110_a48": (110, 48, False, 4.58, 23.12),
    "pyramidnet110_a84": (110, 84, False, 4.26, 20.66),
    "pyramidnet110_a270": (110, 270, False, 3.73, 18.25),
    "pyramidnet164_a270": (164, 270, True, 3.48, 17.01),
}
for _name, (_d, _a, _b, _e10, _e100) in MODELS.items():
    register_model(_name, family="pyramidnet", year=2017, input_size=(3, 32, 32), num_classes=10,
                   dataset="cifar10", top1_err=_e10, recipe=RECIPE,
                   paper="Han, Kim, Kim, Deep Pyramidal Residual Networks, CVPR 2017",
                   kwargs={"depth": _d, "alpha": _a, "bottleneck": _b},
                   variant_note=f"depth {_d}, alpha {_a}, {'bottleneck' if _b else 'basic'} blocks; "
                                f"CIFAR-100 error {_e100}%")(_pyramidnet)
