"""The ENAS macro space (Pham et al. 2018): a chain of L layers, each picking an op and its skips.

Layer i reads layer i-1 (the stem for i = 0), applies its op, adds the outputs of the earlier
layers it skips from, and batch-normalizes the sum. After the layers listed in `reduce_after` every
earlier output is halved in resolution (factorized reduce) and the channels double, so skips can
cross a reduction. Genotype description: `{"layers": [[op, [skip sources]], ...]}`, the sources
being sorted indices of earlier layers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn

from ..errors import GenotypeError, SpaceError
from ..genotype import Genotype
from ..ops import FactorizedReduce, create_op, has_op, op_allowed
from .base import Chooser, SearchSpace, SpaceSettings, positive_int
from .registry import register_kind


@dataclass
class MacroSettings(SpaceSettings):
    ops: list = field(default_factory=lambda: ["conv_3x3", "sep_conv_3x3", "sep_conv_5x5", "dil_conv_3x3",
                                               "max_pool_3x3", "avg_pool_3x3"])
    layers: int = 12
    channels: int = 16
    reduce_after: list | None = None  # layer indices followed by a reduction; None: after L/3 and 2L/3

    def check(self, where):
        if not isinstance(self.ops, list) or not self.ops or len(set(self.ops)) != len(self.ops):
            raise SpaceError(f"{where}: ops must be a non-empty list of distinct op names")
        for op in self.ops:
            if not isinstance(op, str) or not has_op(op):
                raise SpaceError(f"{where}: unknown op {op!r} in ops")
        positive_int(self.layers, "layers", where, 1, 64)
        positive_int(self.channels, "channels", where, 1, 4096)
        if self.reduce_after is not None:
            ok = isinstance(self.reduce_after, list) and all(
                isinstance(i, int) and not isinstance(i, bool) and 0 <= i < self.layers - 1 for i in self.reduce_after)
            if not ok:
                raise SpaceError(f"{where}: reduce_after must list layer indices in [0, {self.layers - 2}]")

    def reductions(self) -> list[int]:
        if self.reduce_after is not None:
            return sorted(set(self.reduce_after))
        n = self.layers
        return sorted({n // 3 - 1, 2 * n // 3 - 1} - {-1, n - 1})


class MacroReductions(nn.ModuleList):
    """One factorized reduce per earlier layer output at each reduction point: `[point][layer]`."""

    def __init__(self, s: MacroSettings):
        super().__init__()
        c = s.channels
        for i in s.reductions():
            self.append(nn.ModuleList(FactorizedReduce(c, 2 * c) for _ in range(i + 1)))
            c *= 2

    def widths(self, s: MacroSettings) -> list[int]:
        """Channels of each layer (they double after every reduction)."""
        c, out, points = s.channels, [], set(s.reductions())
        for i in range(s.layers):
            out.append(c)
            if i in points:
                c *= 2
        return out


def macro_forward(net: nn.Module, x: torch.Tensor, layer_fn) -> torch.Tensor:
    """The chain shared by the standalone network and the supernet: `layer_fn(i, h, outs) -> out_i`."""
    h = net.stem(x)
    outs: list[torch.Tensor] = []
    points = net.points
    for i in range(len(net.layers)):
        h = layer_fn(i, h, outs)
        outs.append(h)
        if i in points:
            red = net.reductions[points[i]]
            outs = [red[j](o) for j, o in enumerate(outs)]
            h = outs[-1]
    return net.classifier(torch.flatten(net.pool(h), 1))


class MacroLayer(nn.Module):
    def __init__(self, op: str, skips: list[int], c: int):
        super().__init__()
        self.op = create_op(op, c, c, 1)
        self.bn = nn.BatchNorm2d(c)
        self.skips = list(skips)

    def forward(self, h, outs):
        y = self.op(h)
        for j in self.skips:
            y = y + outs[j]
        return self.bn(y)


class MacroNetwork(nn.Module):
    def __init__(self, layers: list, s: MacroSettings, num_classes: int, in_channels: int):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(in_channels, s.channels, 3, padding=1, bias=False),
                                  nn.BatchNorm2d(s.channels))
        self.reductions = MacroReductions(s)
        widths = self.reductions.widths(s)
        self.points = {i: k for k, i in enumerate(s.reductions())}
        self.layers = nn.ModuleList(MacroLayer(op, skips, widths[i]) for i, (op, skips) in enumerate(layers))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(widths[-1], num_classes)

    def forward(self, x):
        return macro_forward(self, x, lambda i, h, outs: self.layers[i](h, outs))


@register_kind("macro")
class MacroSpace(SearchSpace):
    kind = "macro"
    settings_cls = MacroSettings
    network_keys = ("channels",)

    def _walk(self, chooser: Chooser) -> dict:
        ops = tuple(self.settings.ops)
        layers = []
        for i in range(self.settings.layers):
            op = chooser.choose(f"layer{i}.op", ops)
            skips = [j for j in range(i - 1) if chooser.choose(f"layer{i}.skip{j}", (0, 1))]
            layers.append([op, skips])
        return {"layers": layers}

    def is_skip_decision(self, key: str) -> bool:
        return key.rpartition(".")[2].startswith("skip")

    def canonicalize(self, data: dict) -> dict:
        s = self.settings
        if set(data) != {"layers"}:
            raise GenotypeError(f"space {self.name}: genotype needs exactly the key 'layers', got {sorted(data)}")
        layers = data["layers"]
        if not isinstance(layers, list) or len(layers) != s.layers:
            raise GenotypeError(f"space {self.name}: needs a list of {s.layers} layers")
        out = []
        for i, layer in enumerate(layers):
            where = f"space {self.name}: layer {i}"
            if not isinstance(layer, list) or len(layer) != 2 or not isinstance(layer[1], list):
                raise GenotypeError(f"{where}: a layer is [op, [skip sources]], got {layer!r}")
            op, skips = layer
            if not op_allowed(op, s.ops):
                raise GenotypeError(f"{where}: unknown op {op!r} (space ops: {', '.join(s.ops)})")
            for j in skips:
                if isinstance(j, bool) or not isinstance(j, int) or not 0 <= j < i - 1:
                    raise GenotypeError(f"{where}: skip source {j!r} must be an earlier layer in [0, {i - 2}] "
                                        "(layer i-1 is already its input)")
            out.append([op, sorted(set(skips))])
        return {"layers": out}

    def choices(self, genotype: Genotype) -> dict:
        ch = {}
        for i, (op, skips) in enumerate(genotype.data["layers"]):
            ch[f"layer{i}.op"] = op
            ch.update({f"layer{i}.skip{j}": int(j in skips) for j in range(i - 1)})
        return ch

    def size(self) -> int:
        n = self.settings.layers
        return len(self.settings.ops) ** n * 2 ** ((n - 1) * (n - 2) // 2)

    def build(self, genotype: Genotype, num_classes: int = 10, input_size=(3, 32, 32)) -> nn.Module:
        return MacroNetwork(genotype.data["layers"], self.settings, num_classes, input_size[0])


