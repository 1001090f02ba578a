"""The ResNet family space: residual stages of basic or bottleneck blocks (ResNet, ResNeXt, PyramidNet).

So that a search can start from the classic designs, ResNet-18..152, the CIFAR ResNet-20..110,
ResNeXt and PyramidNet are genotypes of this space (the YAML's `seeds`), and `build` assembles them
from the zoo's own blocks (`nasx.zoo.resnet`, `nasx.zoo.pyramidnet`): same parameters, same MACs.

Genotype description (every key always present):
  stem         "imagenet" (7x7/2 conv + 3x3/2 max-pool; the zoo's 3x3/1 conv on small images) or
               "cifar" (3x3/1 conv)
  width        stem and first-stage width; stages double it (16 for CIFAR nets, 64 for ImageNet)
  block        "basic" (3x3-3x3) or "bottleneck" (1x1-3x3-1x1, 4x expansion)
  depths       blocks per stage, 4 stages; the 4th may be 0 (CIFAR nets have 3 stages)
  cardinality  groups of the bottleneck's 3x3 conv (ResNeXt's C)
  group_width  channels per group at a 64-wide stage (ResNeXt's d; 64 with C=1 is ResNet), so the
               3x3 width is cardinality * round(stage width * group_width / 64)
  stride_on    where a strided bottleneck downsamples: "1x1" (the ResNet paper) or "3x3" (ResNeXt, "v1.5")
  shortcut     on a shape change: "projection" (1x1 conv + BN, option B) or "zero_pad" (option A)
  alpha        0: widths double per stage; > 0: PyramidNet, widths grow by alpha / (total blocks)
               at every block, with PyramidNet's units (BN-conv-BN-ReLU-conv-BN, zero-padded
               avg-pool shortcut, final BN-ReLU) since a growing width needs a zero-padded shortcut.
Keys a design does not read are normalized (canonical form): basic blocks and PyramidNet take
cardinality 1, group_width 64, stride_on "3x3"; PyramidNet takes shortcut "zero_pad".
"""

from __future__ import annotations

import itertools
import math

from torch import nn

from ..blocks import (
    BasicBlock,
    Bottleneck,
    BottleneckV1,
    PyramidBlock,
    ShortcutA,
    conv_bn_relu,
    gap_head,
    imagenet_stem,
)
from ..genotype import Genotype
from .base import Chooser, SearchSpace
from .family import FamilySettings, check_keys, check_list, check_option, scale_channels
from .registry import register_kind

DEPTHS = (1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 18, 23, 36)
OPTIONS = {  # key -> options; the order is the decision order
    "stem": ("imagenet", "cifar"),
    "width": (16, 32, 64),
    "block": ("basic", "bottleneck"),
    "depth1": DEPTHS, "depth2": DEPTHS, "depth3": DEPTHS, "depth4": (0,) + DEPTHS,
    "cardinality": (1, 2, 4, 8, 16, 32, 64),
    "group_width": (4, 8, 16, 32, 64),
    "stride_on": ("1x1", "3x3"),
    "shortcut": ("projection", "zero_pad"),
    "alpha": (0, 48, 84, 150, 200, 270),
}
DEPTH_KEYS = ("depth1", "depth2", "depth3", "depth4")
KEYS = ("stem", "width", "block", "depths", "cardinality", "group_width", "stride_on", "shortcut", "alpha")
STYLE_KEYS = ("block", "cardinality", "group_width", "stride_on", "shortcut", "alpha")


def normalize(d: dict) -> dict:
    """Set the keys this design does not read to their fixed values (one canonical form per network)."""
    d = dict(d)
    if d["block"] == "basic" or d["alpha"]:
        d.update(cardinality=1, group_width=64, stride_on="3x3")
    if d["alpha"]:
        d["shortcut"] = "zero_pad"
    return d


def residual_block(d: dict, c_in: int, planes: int, stride: int) -> tuple[nn.Module, int]:
    """One ResNet/ResNeXt block (the zoo's classes) and its output width."""
    if d["block"] == "basic":
        block, c_out = BasicBlock(c_in, planes, stride), planes
    else:
        width = d["cardinality"] * max(1, round(planes * d["group_width"] / 64))
        cls = BottleneckV1 if d["stride_on"] == "1x1" else Bottleneck
        block, c_out = cls(c_in, width, planes * 4, stride, d["cardinality"]), planes * 4
    if d["shortcut"] == "zero_pad" and not isinstance(block.shortcut, nn.Identity):
        block.shortcut = ShortcutA(c_in, c_out, stride)
    return block, c_out


def residual_stages(d: dict, c: int, width: int, depths: list[int], scale: float) -> tuple[list, int]:
    layers = []
    for i, n in enumerate(depths):
        for j in range(n):
            block, c = residual_block(d, c, width * 2 ** i, 2 if i and not j else 1)
            layers.append(block)
    return layers, c


def pyramid_stages(d: dict, c: int, width: int, depths: list[int], scale: float) -> tuple[list, int]:
    """PyramidNet: +alpha/N channels at every block (the zoo's rounding), strided at stage starts."""
    add, w, layers = d["alpha"] * scale / sum(depths), float(width), []
    for i, n in enumerate(depths):
        for j in range(n):
            w += add
            layers.append(PyramidBlock(c, max(1, round(w)), 2 if i and not j else 1, d["block"] == "bottleneck"))
            c = layers[-1].c_out
    return layers + [nn.BatchNorm2d(c), nn.ReLU(inplace=True)], c


@register_kind("resnet")
class ResNetFamilySpace(SearchSpace):
    kind = "resnet"
    settings_cls = FamilySettings
    network_keys = ("width_scale",)

    def _walk(self, chooser: Chooser) -> dict:
        ch = {key: chooser.choose(key, opts) for key, opts in OPTIONS.items()}
        return self._from_choices(ch)

    @staticmethod
    def _from_choices(ch: dict) -> dict:
        d = {k: ch[k] for k in KEYS if k != "depths"}
        d["depths"] = [ch[k] for k in DEPTH_KEYS]
        return d

    def canonicalize(self, data: dict) -> dict:
        where = f"space {self.name}"
        check_keys(data, KEYS, f"{where}: genotype")
        out = {k: check_option(data[k], OPTIONS[k], f"{where}: {k}") for k in KEYS if k != "depths"}
        depths = check_list(data["depths"], 4, f"{where}: depths")
        out["depths"] = [check_option(v, OPTIONS[k], f"{where}: depths[{i}]")
                         for i, (k, v) in enumerate(zip(DEPTH_KEYS, depths))]
        return normalize(out)

    def choices(self, genotype: Genotype) -> dict:
        d = genotype.data
        return {**{k: d[k] for k in KEYS if k != "depths"}, **dict(zip(DEPTH_KEYS, d["depths"]))}

    def size(self) -> int:
        styles = {tuple(normalize(dict(zip(STYLE_KEYS, c))).values())
                  for c in itertools.product(*(OPTIONS[k] for k in STYLE_KEYS))}
        rest = [k for k in OPTIONS if k not in STYLE_KEYS]
        return len(styles) * math.prod(len(OPTIONS[k]) for k in rest)

    def build(self, genotype: Genotype, num_classes: int = 10, input_size=(3, 32, 32)) -> nn.Module:
        return resnet_network(genotype.data, num_classes, tuple(input_size), self.settings.width_scale)


def resnet_network(d: dict, num_classes: int, input_size: tuple, width_scale: float = 1.0) -> nn.Module:
    """The network of canonical description `d` (a top-level function of literals: export can vendor it)."""
    width, pyramid = scale_channels(d["width"], width_scale), d["alpha"] > 0
    if d["stem"] == "imagenet":
        stem = imagenet_stem(input_size[0], input_size, width)
    else:  # PyramidNet's first unit starts with BN, so its stem has no ReLU (as the paper's code)
        stem = [conv_bn_relu(input_size[0], width, 3, relu=not pyramid)]
    stages = pyramid_stages if pyramid else residual_stages
    body, c = stages(d, width, width, [n for n in d["depths"] if n], width_scale)
    return nn.Sequential(nn.Sequential(*stem, *body), gap_head(c, num_classes))
