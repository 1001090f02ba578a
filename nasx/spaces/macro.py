"""The ENAS macro space (Pham et al. 2018): a chain of L layers, each picking an op and its skips.

The network is `macro_network.py` (shared with the supernet and with exported code).

Layer i reads layer i-1 (the stem for i = 0), applies its op, adds the outputs of the earlier
layers it skips from, and batch-normalizes the sum. After the layers listed in `reduce_after` every
earlier output is halved in resolution (factorized reduce) and the channels double, so skips can
cross a reduction. Genotype description: `{"layers": [[op, [skip sources]], ...]}`, the sources
being sorted indices of earlier layers. `legacy_ops` lists ops a space's genotypes may still name
but that are never sampled: the journal records a run's space by name, so when a bundled space's
op list changes (enas_macro lost dil_conv_3x3 for the reference's conv_5x5) its older runs still
read, show, export and train.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from torch import nn

from ..errors import GenotypeError, SpaceError
from ..genotype import Genotype
from ..ops import has_op, make_op, op_allowed
from .base import Chooser, SearchSpace, SpaceSettings, positive_int
from .macro_network import MacroNetwork
from .registry import register_kind


@dataclass
class MacroSettings(SpaceSettings):
    ops: list = field(default_factory=lambda: ["conv_3x3", "sep_conv_3x3", "sep_conv_5x5", "dil_conv_3x3",
                                               "max_pool_3x3", "avg_pool_3x3"])
    layers: int = 12
    channels: int = 16
    reduce_after: list | None = None  # layer indices followed by a reduction; None: after L/3 and 2L/3
    legacy_ops: list = field(default_factory=list)  # readable in genotypes (older runs), never sampled
    auxiliary: bool = False  # auxiliary head on the last reduction's output (final training)

    def check(self, where):
        if not isinstance(self.ops, list) or not self.ops or len(set(self.ops)) != len(self.ops):
            raise SpaceError(f"{where}: ops must be a non-empty list of distinct op names")
        for op in self.ops:
            if not isinstance(op, str) or not has_op(op):
                raise SpaceError(f"{where}: unknown op {op!r} in ops")
        if not isinstance(self.legacy_ops, list) or not all(isinstance(op, str) and has_op(op)
                                                             for op in self.legacy_ops):
            raise SpaceError(f"{where}: legacy_ops must list registered op names")
        positive_int(self.layers, "layers", where, 1, 64)
        if not isinstance(self.auxiliary, bool):
            raise SpaceError(f"{where}: auxiliary must be true or false")
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



@register_kind("macro")
class MacroSpace(SearchSpace):
    kind = "macro"
    settings_cls = MacroSettings
    network_keys = ("channels", "auxiliary")

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
            if not op_allowed(op, s.ops) and not op_allowed(op, s.legacy_ops):
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
        s = self.settings
        return MacroNetwork(genotype.data["layers"], s.channels, s.reductions(), num_classes, input_size[0], make_op,
                            auxiliary=s.auxiliary, input_side=min(input_size[1:]))


