"""The mobile family space: stages of cheap depthwise units (MobileNet v1/v2, ShuffleNet v1/v2).

MobileNet v1 (every width x resolution of the paper), v2 and ShuffleNet v1 / v2 are genotypes of
this space (the YAML's `seeds`); `build` assembles them from the zoo's own units
(`nasx.zoo.mobilenet`, `nasx.zoo.shufflenet`) with the zoo's channel rounding: same params and MACs.

Genotype description:
  unit        "separable" (v1: dw3x3-pw1x1), "inverted" (v2: 1x1 expand, dw, linear 1x1, residual),
              "shuffle_v1" (grouped 1x1, channel shuffle, dw, grouped 1x1), "shuffle_v2" (channel
              split, 1x1-dw-1x1, concat, shuffle)
  width_mult  MobileNet's alpha: scales every width with the unit's rounding (v1 int(), v2 multiples
              of 8, ShuffleNet v1 multiples of 4*groups, v2 even); ShuffleNet's 24-wide conv1 is not scaled
  resolution  MobileNet's resolution multiplier as the side it means at 224 (128/160/192/224): the
              network first resizes its input by resolution/224 (a parameter-free module)
  stem        conv1 width; groups: ShuffleNet v1's groups (channel shuffle between them)
  last        width of a final 1x1 conv before pooling (0: none; v2 1280, ShuffleNet v2 1024)
  stages      3-7 stages of {width, repeats, stride, kernel (dw 3/5/7), expand (v2's t)}; a stage's
              first unit strides
Keys a unit does not read are normalized (canonical form): expand 1 except for "inverted", groups
1 except for "shuffle_v1", stride 2 for the ShuffleNet units (their stage starts always downsample:
the unit's residual add / channel split needs equal widths otherwise). A ShuffleNet v1 stage is at
least 4*groups channels wider than its input (its strided unit concatenates the input).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass

import torch.nn.functional as F
from torch import nn

from ..blocks import (
    InvertedResidual,
    ShuffleV1Unit,
    ShuffleV2Unit,
    bn_relu6,
    conv_bn_relu,
    gap_head,
    is_small,
    make_divisible,
    shuffle_stem,
)
from ..genotype import Genotype
from .base import Chooser, SearchSpace
from .family import FamilySettings, check_keys, check_list, check_option, scale_channels
from .registry import register_kind

OPTIONS = {
    "unit": ("separable", "inverted", "shuffle_v1", "shuffle_v2"),
    "width_mult": (1.0, 0.25, 0.5, 0.75, 1.4),
    "resolution": (224, 128, 160, 192),
    "stem": (32, 16, 24),
    "groups": (1, 2, 3, 4, 8),
    "last": (0, 1024, 1280, 2048),
}
STAGE_COUNTS = (3, 4, 5, 6, 7)
STAGE_OPTIONS = {
    "width": (16, 24, 32, 48, 64, 96, 116, 128, 160, 192, 232, 240, 256, 320, 384, 464, 480, 512, 768, 960, 1024),
    "repeats": (1, 2, 3, 4, 5, 6, 8),
    "stride": (1, 2),
    "kernel": (3, 5, 7),
    "expand": (1, 3, 4, 6),
}
KEYS = tuple(OPTIONS) + ("stages",)


def _dw(c: int, k: int, stride: int, relu6: bool = False) -> nn.Sequential:
    return bn_relu6(c, c, k, stride, c) if relu6 else conv_bn_relu(c, c, k, stride, groups=c, relu=False)


@dataclass(frozen=True)
class Unit:
    """How one unit kind rounds widths, starts the network and makes a unit (kernel k, expansion t)."""

    round_width: Callable[[float, int], int]            # (scaled width, groups) -> channels
    stem: Callable[[int, int, tuple], list]              # (in channels, width, input size) -> layers
    make: Callable[..., nn.Module]                       # (c_in, c_out, stride, k, t, groups, first)
    stem_scales: bool = True                             # conv1 follows width_mult (not in ShuffleNets)
    relu6: bool = False
    dropout: float = 0.0


def _separable(c_in, c_out, stride, k, t, g, first):
    return nn.Sequential(conv_bn_relu(c_in, c_in, k, stride, groups=c_in), conv_bn_relu(c_in, c_out, 1))


def _inverted(c_in, c_out, stride, k, t, g, first):
    unit = InvertedResidual(c_in, c_out, stride, t)
    if k != 3:  # the zoo's unit is 3x3: swap in a k x k depthwise conv (like resnet.BottleneckV1)
        unit.body[0 if t == 1 else 1] = _dw(c_in * t, k, stride, relu6=True)
    return unit


def _shuffle_v1(c_in, c_out, stride, k, t, g, first):
    unit = ShuffleV1Unit(c_in, c_out, g, stride, group_first=not first)  # conv1's 24 channels: ungrouped
    if k != 3:
        unit.dw = _dw(c_out // 4, k, stride)
    return unit


def _shuffle_v2(c_in, c_out, stride, k, t, g, first):
    unit = ShuffleV2Unit(c_in, c_out, stride)
    if k != 3:
        unit.right[1] = _dw(c_out // 2, k, stride)
        if stride == 2:
            unit.left[0] = _dw(c_in, k, stride)
    return unit


def _plain_stem(relu6):
    def stem(c_in, width, size):
        stride = 1 if is_small(size) else 2
        return [bn_relu6(c_in, width, 3, stride) if relu6 else conv_bn_relu(c_in, width, 3, stride)]
    return stem


UNITS = {
    "separable": Unit(lambda c, g: max(1, int(c)), _plain_stem(False), _separable),
    "inverted": Unit(lambda c, g: make_divisible(c), _plain_stem(True), _inverted, relu6=True, dropout=0.2),
    "shuffle_v1": Unit(lambda c, g: max(4 * g, round(c / (4 * g)) * 4 * g),
                       lambda c_in, w, size: shuffle_stem(c_in, size, w), _shuffle_v1, stem_scales=False),
    "shuffle_v2": Unit(lambda c, g: max(2, round(c / 2) * 2),
                       lambda c_in, w, size: shuffle_stem(c_in, size, w), _shuffle_v2, stem_scales=False),
}


def normalize(d: dict) -> dict:
    d = dict(d)
    if d["unit"] != "shuffle_v1":
        d["groups"] = 1
    d["stages"] = [{**st, "expand": st["expand"] if d["unit"] == "inverted" else 1,
                    "stride": 2 if d["unit"].startswith("shuffle") else st["stride"]} for st in d["stages"]]
    return d


class Resize(nn.Module):
    """MobileNet's resolution multiplier: resize the input by `resolution`/224 (bilinear)."""

    def __init__(self, resolution: int):
        super().__init__()
        self.resolution = resolution

    def forward(self, x):
        h, w = (max(1, round(v * self.resolution / 224)) for v in x.shape[-2:])
        return F.interpolate(x, size=(h, w), mode="bilinear", align_corners=False)


@register_kind("mobile")
class MobileFamilySpace(SearchSpace):
    kind = "mobile"
    settings_cls = FamilySettings
    network_keys = ("width_scale",)

    def _walk(self, chooser: Chooser) -> dict:
        d = {k: chooser.choose(k, o) for k, o in OPTIONS.items()}
        n = chooser.choose("stages", STAGE_COUNTS)
        slots = [{k: chooser.choose(f"s{i}.{k}", o) for k, o in STAGE_OPTIONS.items()} for i in range(max(STAGE_COUNTS))]
        return {**d, "stages": slots[:n]}

    def canonicalize(self, data: dict) -> dict:
        where = f"space {self.name}"
        check_keys(data, KEYS, f"{where}: genotype")
        out = {k: check_option(data[k], o, f"{where}: {k}") for k, o in OPTIONS.items()}
        stages = check_list(data["stages"], STAGE_COUNTS, f"{where}: stages")
        out["stages"] = []
        for i, st in enumerate(stages):
            check_keys(st, tuple(STAGE_OPTIONS), f"{where}: stages[{i}]")
            out["stages"].append({k: check_option(st[k], o, f"{where}: stages[{i}].{k}")
                                  for k, o in STAGE_OPTIONS.items()})
        return normalize(out)

    def choices(self, genotype: Genotype) -> dict:
        """Decision values; stage slots past the stage count take their first options."""
        d = genotype.data
        ch = {k: d[k] for k in OPTIONS}
        ch["stages"] = len(d["stages"])
        unused = {k: o[0] for k, o in STAGE_OPTIONS.items()}
        slots = d["stages"] + [unused] * (max(STAGE_COUNTS) - len(d["stages"]))
        ch.update({f"s{i}.{k}": v for i, st in enumerate(slots) for k, v in st.items()})
        return ch

    def size(self) -> int:
        shared = math.prod(len(OPTIONS[k]) for k in ("width_mult", "resolution", "stem", "last"))
        total = 0
        for unit in OPTIONS["unit"]:
            per_stage = {tuple(normalize({"unit": unit, "groups": 1, "stages": [dict(zip(STAGE_OPTIONS, c))]})
                               ["stages"][0].values()) for c in itertools.product(*STAGE_OPTIONS.values())}
            groups = len(OPTIONS["groups"]) if unit == "shuffle_v1" else 1
            total += groups * sum(len(per_stage) ** n for n in STAGE_COUNTS)
        return shared * total

    def build(self, genotype: Genotype, num_classes: int = 10, input_size=(3, 32, 32)) -> nn.Module:
        return mobile_network(genotype.data, num_classes, tuple(input_size), self.settings.width_scale)


def mobile_network(d: dict, num_classes: int, input_size: tuple, width_scale: float = 1.0) -> nn.Module:
    """The network of canonical description `d` (a top-level function of literals: export can vendor it)."""
    unit, g = UNITS[d["unit"]], d["groups"]
    alpha = d["width_mult"] * width_scale
    size = tuple(input_size)
    layers: list[nn.Module] = []
    if d["resolution"] != 224:
        layers.append(Resize(d["resolution"]))
        size = (size[0], *(max(1, round(v * d["resolution"] / 224)) for v in size[1:]))
    if unit.stem_scales:
        c = unit.round_width(d["stem"] * alpha, g)
    else:  # ShuffleNet: conv1 keeps its width at every scale, a multiple of the groups
        c = max(g, round(d["stem"] * width_scale / g) * g)
    layers += unit.stem(size[0], c, size)
    for i, st in enumerate(d["stages"]):
        w = unit.round_width(st["width"] * alpha, g)
        if d["unit"] == "shuffle_v1":  # the strided unit concatenates its input: widen by >= 4g
            w = max(w, (c // (4 * g) + 1) * 4 * g)
        for j in range(st["repeats"]):
            layers.append(unit.make(c, w, st["stride"] if j == 0 else 1, st["kernel"], st["expand"], g,
                                    i == 0 and j == 0))
            c = w
    if d["last"]:
        last = make_divisible(d["last"] * max(1.0, d["width_mult"])) if unit.relu6 else d["last"]
        last = scale_channels(last, width_scale)
        layers.append(bn_relu6(c, last, 1) if unit.relu6 else conv_bn_relu(c, last, 1))
        c = last
    return nn.Sequential(nn.Sequential(*layers), gap_head(c, num_classes, unit.dropout))
