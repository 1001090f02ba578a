"""ShuffleNet v1 (Zhang, Zhou, Lin, Sun 2018) and v2 (Ma, Zhang, Zheng, Sun 2018).

v1 unit: grouped 1x1 -> channel shuffle -> depthwise 3x3 -> grouped 1x1 (bottleneck = out/4), added
to the input, or concatenated with a 3x3/2 avg-pooled input when strided; stage 2's first 1x1 is
not grouped (24 input channels). Widths per group count are Table 1's; the 0.25x-2x variants scale
them, rounded to a multiple of 4*g so every grouped conv divides (0.25x g=4: 68 -> 64); conv1
stays 24 wide, so 0.5x / 0.25x cost ~43 / ~17 M MACs against Table 2's 38 / 13 M (1x: 137-143 M vs 140 M). v2 unit:
channel split, 1x1-dw3x3-1x1 on one half, concat, shuffle; params equal torchvision's
(x1.0: 2,278,604). Small inputs: conv1 3x3/1, no max-pool (stages still stride 2, 32 -> 4).
"""

from __future__ import annotations

from torch import nn

from ..blocks import ShuffleV1Unit, ShuffleV2Unit, conv_bn_relu, gap_head, shuffle_stem
from .registry import register_model

V1_WIDTHS = {1: 144, 2: 200, 3: 240, 4: 272, 8: 384}  # stage-2 output channels at 1x (Table 1)
V1_ERR = {  # Table 2 top-1 error, (g, scale) -> %; 2x (g=3) from Table 5
    (1, 1.0): 33.6, (2, 1.0): 32.7, (3, 1.0): 32.6, (4, 1.0): 32.8, (8, 1.0): 32.4,
    (1, 0.5): 45.1, (2, 0.5): 44.4, (3, 0.5): 43.2, (4, 0.5): 41.6, (8, 0.5): 42.3,
    (1, 0.25): 57.1, (2, 0.25): 56.8, (3, 0.25): 55.0, (4, 0.25): 54.2, (8, 0.25): 52.7,
    (3, 2.0): 26.3,
}
V1_SCALES = (0.25, 0.5, 1.0, 1.5, 2.0)


def _shufflenet_v1(num_classes, input_size, groups, scale):
    step = 4 * groups
    widths = [max(step, round(V1_WIDTHS[groups] * scale * 2 ** i / step) * step) for i in range(3)]
    layers, c = shuffle_stem(input_size[0], input_size), 24
    for i, (w, n) in enumerate(zip(widths, (4, 8, 4))):
        for j in range(n):
            layers.append(ShuffleV1Unit(c, w, groups, 2 if j == 0 else 1, group_first=bool(i or j)))
            c = w
    return nn.Sequential(nn.Sequential(*layers), gap_head(c, num_classes))


V2_WIDTHS = {0.5: (48, 96, 192, 1024), 1.0: (116, 232, 464, 1024), 1.5: (176, 352, 704, 1024),
             2.0: (244, 488, 976, 2048)}
V2_ERR = {0.5: 39.7, 1.0: 30.6, 1.5: 27.4, 2.0: 25.1}  # Table 8, top-1 error


def _shufflenet_v2(num_classes, input_size, scale):
    *stages, last = V2_WIDTHS[scale]
    layers, c = shuffle_stem(input_size[0], input_size), 24
    for w, n in zip(stages, (4, 8, 4)):
        for j in range(n):
            layers.append(ShuffleV2Unit(c, w, 2 if j == 0 else 1))
            c = w
    layers.append(conv_bn_relu(c, last, 1))
    return nn.Sequential(nn.Sequential(*layers), gap_head(last, num_classes))


def _tag(scale: float) -> str:
    """0.25 -> 'x0_25', 1.0 -> 'x1_0' (torchvision's naming)."""
    return "x" + f"{scale:g}".replace(".", "_") + ("_0" if scale == int(scale) else "")


_RECIPE_V1 = {"batch_size": 1024, "gpus": 4, "optimizer": "sgd", "momentum": 0.9, "weight_decay": 4e-5,
              "lr": 0.5, "lr_schedule": "linear decay from 0.5 to 0", "iterations": 300_000,
              "augmentation": ["random crop (less aggressive scale aug for small nets)", "horizontal flip"],
              "eval": "ILSVRC-2012 val, 1 centre crop 224 of 256"}
_RECIPE_V2 = {**_RECIPE_V1, "eval": "ILSVRC-2012 val, 1 centre crop 224"}

for _g in V1_WIDTHS:
    for _s in V1_SCALES:
        _name = f"shufflenet_v1_g{_g}" + ("" if _s == 1.0 else "_" + _tag(_s))
        register_model(_name, family="shufflenet", year=2018, top1_err=V1_ERR.get((_g, _s)), recipe=_RECIPE_V1,
                       paper="Zhang, Zhou, Lin, Sun, ShuffleNet: An Extremely Efficient Convolutional Neural "
                             "Network for Mobile Devices, CVPR 2018",
                       kwargs={"groups": _g, "scale": _s},
                       variant_note=f"{_s}x width, {_g} groups; widths rounded to multiples of {4 * _g}")(
            _shufflenet_v1)
for _s in V2_WIDTHS:
    register_model(f"shufflenet_v2_{_tag(_s)}", family="shufflenet", year=2018, top1_err=V2_ERR[_s],
                   paper="Ma, Zhang, Zheng, Sun, ShuffleNet V2: Practical Guidelines for Efficient CNN "
                         "Architecture Design, ECCV 2018",
                   recipe=_RECIPE_V2, kwargs={"scale": _s},
                   variant_note=f"{_s}x width (torchvision layout)")(_shufflenet_v2)
