"""Xception (Chollet 2017): Inception modules taken to the limit as depthwise-separable convs.

Entry flow (two valid 3x3 convs, three strided separable blocks 128/256/728), middle flow (8
residual blocks of three ReLU-SepConv-BN at 728), exit flow (728->1024 block, SepConv 1536, 2048),
299x299 input: 22,855,952 params (Keras' trainable count), ~8.4 G MACs. A separable conv is one
depthwise 3x3 + one pointwise 1x1, no BN or ReLU between (as in the paper). Small inputs: the two
stem convs become stride-1 "same", leaving the four strided blocks (32 -> 2).
"""

from __future__ import annotations

from torch import nn

from ..blocks import gap_head, is_small
from .registry import register_model


def sep_conv(c_in, c_out):
    return nn.Sequential(nn.Conv2d(c_in, c_in, 3, 1, 1, groups=c_in, bias=False),
                         nn.Conv2d(c_in, c_out, 1, bias=False), nn.BatchNorm2d(c_out))


class XBlock(nn.Module):
    """`reps` x (ReLU -> SepConv -> BN), then a 3x3/2 max-pool if strided; 1x1 shortcut on shape change."""

    def __init__(self, c_in, c_out, reps, stride, relu_first=True, grow_first=True):
        super().__init__()
        widths = [c_out] * reps if grow_first else [c_in] * (reps - 1) + [c_out]
        layers: list[nn.Module] = []
        c = c_in
        for i, w in enumerate(widths):
            if i or relu_first:
                layers.append(nn.ReLU(inplace=i > 0))
            layers.append(sep_conv(c, w))
            c = w
        if stride != 1:
            layers.append(nn.MaxPool2d(3, stride, 1))
        self.body = nn.Sequential(*layers)
        self.skip = (nn.Identity() if stride == 1 and c_in == c_out else
                     nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride, bias=False), nn.BatchNorm2d(c_out)))

    def forward(self, x):
        return self.body(x) + self.skip(x)


def _xception(num_classes, input_size):
    pad = 1 if is_small(input_size) else 0
    layers = [nn.Conv2d(input_size[0], 32, 3, 1 if pad else 2, pad, bias=False), nn.BatchNorm2d(32),
              nn.ReLU(inplace=True),
              nn.Conv2d(32, 64, 3, 1, pad, bias=False), nn.BatchNorm2d(64), nn.ReLU(inplace=True),
              XBlock(64, 128, 2, 2, relu_first=False), XBlock(128, 256, 2, 2), XBlock(256, 728, 2, 2)]
    layers += [XBlock(728, 728, 3, 1) for _ in range(8)]
    layers += [XBlock(728, 1024, 2, 2, grow_first=False),
               sep_conv(1024, 1536), nn.ReLU(inplace=True), sep_conv(1536, 2048), nn.ReLU(inplace=True)]
    return nn.Sequential(nn.Sequential(*layers), gap_head(2048, num_classes, dropout=0.5))


register_model(
    "xception", family="xception", year=2017, input_size=(3, 299, 299), top1_err=21.0, top5_err=5.5,
    paper="Chollet, Xception: Deep Learning with Depthwise Separable Convolutions, CVPR 2017",
    recipe={"optimizer": "sgd", "momentum": 0.9, "lr": 0.045, "lr_schedule": "x0.94 every 2 epochs",
            "weight_decay": 1e-5, "dropout": 0.5, "batch_size": "60 GPUs, synchronous",
            "aux_tower": False, "eval": "ImageNet val, 1 model, 1 crop"},
    variant_note="paper/Keras layout, dropout 0.5 before the classifier; 1-crop val error")(_xception)
