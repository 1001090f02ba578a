"""MobileNet v1 (Howard et al. 2017) and v2 (Sandler et al. 2018).

v1: a 3x3/2 conv then 13 depthwise-separable layers (dw3x3-BN-ReLU, pw1x1-BN-ReLU), global pool,
FC. Width multiplier alpha scales every layer (int(c * alpha)); the resolution multiplier is just
the input size. Paper Table 8: 1.0-224 = 4.2 M params, 569 M MACs (we count 4,231,976 / 569.7 M);
0.25-128 style variants cover alpha in {1, .75, .5, .25} x resolution in {224, 192, 160, 128}.
v2: inverted residuals with linear bottlenecks (torchvision layout, 3,504,872 params; the paper's
3.4 M omits rounding details). Small inputs: the first conv is stride 1 (32 -> 2 at the end).
"""

from __future__ import annotations

from torch import nn

from ..blocks import InvertedResidual, bn_relu6, conv_bn_relu, gap_head, is_small, make_divisible
from .registry import register_model

V1_LAYERS = ((64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2)) + ((512, 1),) * 5 + ((1024, 2), (1024, 1))


def _mobilenet_v1(num_classes, input_size, alpha=1.0):
    c = int(32 * alpha)
    layers: list[nn.Module] = [conv_bn_relu(input_size[0], c, 3, 1 if is_small(input_size) else 2)]
    for width, stride in V1_LAYERS:
        w = int(width * alpha)
        layers += [conv_bn_relu(c, c, 3, stride, groups=c), conv_bn_relu(c, w, 1)]
        c = w
    return nn.Sequential(nn.Sequential(*layers), gap_head(c, num_classes))


V2_SETTINGS = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2),
               (6, 320, 1, 1))  # (expansion t, channels c, repeats n, first stride s), Table 2


def _mobilenet_v2(num_classes, input_size, alpha=1.0):
    c = make_divisible(32 * alpha)
    layers: list[nn.Module] = [bn_relu6(input_size[0], c, 3, 1 if is_small(input_size) else 2)]
    for t, width, n, s in V2_SETTINGS:
        w = make_divisible(width * alpha)
        for i in range(n):
            layers.append(InvertedResidual(c, w, s if i == 0 else 1, t))
            c = w
    last = make_divisible(1280 * max(1.0, alpha))
    layers.append(bn_relu6(c, last, 1))
    return nn.Sequential(nn.Sequential(*layers), gap_head(last, num_classes, dropout=0.2))


V1_RECIPE = {
    "framework": "tensorflow", "optimizer": "rmsprop", "asynchronous": True, "weight_decay": "very little / none "
    "on depthwise filters", "augmentation": "less than Inception v3 (fewer distortions, no label smoothing "
    "emphasis, small models overfit less)", "eval": "ILSVRC-2012 val, 1 crop",
}
V2_RECIPE = {
    "framework": "tensorflow", "optimizer": "rmsprop", "rmsprop_decay": 0.9, "momentum": 0.9, "weight_decay": 4e-5,
    "lr": 0.045, "lr_schedule": "x0.98 per epoch", "batch_size": 96, "gpus": 16, "batch_norm_momentum": 0.997,
    "eval": "ILSVRC-2012 val, 1 crop",
}
_V1_PAPER = ("Howard et al., MobileNets: Efficient Convolutional Neural Networks for Mobile Vision "
             "Applications, arXiv:1704.04861")
# Table 6 (width at 224) and Table 7 (resolution at width 1.0): top-1 accuracy -> error.
V1_ERR = {(1.0, 224): 29.4, (0.75, 224): 31.6, (0.5, 224): 36.3, (0.25, 224): 49.4,
          (1.0, 192): 30.9, (1.0, 160): 32.8, (1.0, 128): 35.6}

for _a in (1.0, 0.75, 0.5, 0.25):
    for _r in (224, 192, 160, 128):
        _name = "mobilenet_v1" if (_a, _r) == (1.0, 224) else f"mobilenet_v1_{f'{_a:g}'.replace('.', '_')}_{_r}"
        _name = _name.replace("mobilenet_v1_1_", "mobilenet_v1_1_0_")
        register_model(_name, family="mobilenet", year=2017, paper=_V1_PAPER, input_size=(3, _r, _r),
                       top1_err=V1_ERR.get((_a, _r)), recipe=V1_RECIPE, kwargs={"alpha": _a},
                       variant_note=f"width {_a}, resolution {_r}" +
                                    ("" if (_a, _r) in V1_ERR else "; error not in the paper (TF-slim has one)"))(
            _mobilenet_v1)
register_model("mobilenet_v2", family="mobilenet", year=2018, top1_err=28.0, recipe=V2_RECIPE,
               paper="Sandler, Howard, Zhu, Zhmoginov, Chen, MobileNetV2: Inverted Residuals and Linear "
                     "Bottlenecks, CVPR 2018",
               variant_note="width 1.0, 224; torchvision layout (channels rounded to multiples of 8)")(_mobilenet_v2)
