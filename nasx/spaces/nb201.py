"""The NAS-Bench-201 cell space and its CIFAR network (Dong & Yang, ICLR 2020).

A cell has 4 nodes; node j (1..3) sums `op(node i)` over its incoming edges i < j, and node 3 is
the output: 6 edges, 5 ops, 15,625 cells. The genotype description is the benchmark's own string,
`{"arch": "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|...~1|...~2|"}`, which
parses and prints back identically. The network (`nb201_network.py`, shared with exported code)
follows the benchmark's: a 3x3 conv stem at 16 channels, 3 stages of N=5 cells with residual
reduction blocks between them, BN-ReLU, global pooling, a linear classifier; its parameter counts
match the table's `params_m`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from torch import nn

from ..errors import GenotypeError
from ..genotype import Genotype
from ..ops import make_op
from .base import Chooser, SearchSpace, SpaceSettings, check_ops, positive_int
from .nb201_network import NB201Network
from .registry import register_kind

_EDGE = re.compile(r"^([A-Za-z0-9_]+)~(\d+)$")


@dataclass
class NB201Settings(SpaceSettings):
    ops: list = field(default_factory=lambda: ["none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"])
    nodes: int = 4
    channels: int = 16
    cells_per_stage: int = 5

    def check(self, where):
        check_ops(self.ops, where)
        positive_int(self.nodes, "nodes", where, 2, 8)
        positive_int(self.channels, "channels", where, 1, 4096)
        positive_int(self.cells_per_stage, "cells_per_stage", where, 1, 64)


def parse_arch(text: str, nodes: int, ops: list[str]) -> list[list[tuple[str, int]]]:
    """`|op~0|+|op~0|op~1|+...|` -> [[(op, 0)], [(op, 0), (op, 1)], ...] with precise errors."""
    if not isinstance(text, str):
        raise GenotypeError("nb201: arch must be a string like |nor_conv_3x3~0|+|...|")
    parts = text.split("+")
    if len(parts) != nodes - 1:
        raise GenotypeError(f"nb201: arch has {len(parts)} nodes separated by '+', expected {nodes - 1}")
    out = []
    for j, part in enumerate(parts, start=1):
        if not (part.startswith("|") and part.endswith("|")) or len(part) < 2:
            raise GenotypeError(f"nb201: node {j} must look like |op~i|...|, got {part!r}")
        edges = part[1:-1].split("|")
        if len(edges) != j:
            raise GenotypeError(f"nb201: node {j} needs {j} incoming edges, got {len(edges)} in {part!r}")
        node = []
        for i, e in enumerate(edges):
            m = _EDGE.match(e)
            if not m:
                raise GenotypeError(f"nb201: node {j} edge {e!r} is not op~index")
            op, src = m.group(1), int(m.group(2))
            if op not in ops:
                raise GenotypeError(f"nb201: unknown op {op!r} on node {j} (ops: {', '.join(ops)})")
            if src != i:
                raise GenotypeError(f"nb201: node {j} edge {i} must come from node {i}, got ~{src}")
            node.append((op, src))
        out.append(node)
    return out


def format_arch(nodes: list[list[tuple[str, int]]]) -> str:
    return "+".join("|" + "|".join(f"{op}~{i}" for op, i in node) + "|" for node in nodes)



@register_kind("nb201")
class NB201Space(SearchSpace):
    kind = "nb201"
    settings_cls = NB201Settings
    network_keys = ("channels", "cells_per_stage")

    def _walk(self, chooser: Chooser) -> dict:
        ops = tuple(self.settings.ops)
        nodes = []
        for j in range(1, self.settings.nodes):
            nodes.append([(chooser.choose(f"edge{i}->{j}", ops), i) for i in range(j)])
        return {"arch": format_arch(nodes)}

    def canonicalize(self, data: dict) -> dict:
        if set(data) != {"arch"}:
            raise GenotypeError(f"space {self.name}: genotype needs exactly the key 'arch', got {sorted(data)}")
        nodes = parse_arch(data["arch"], self.settings.nodes, self.settings.ops)
        return {"arch": format_arch(nodes)}

    def choices(self, genotype: Genotype) -> dict:
        nodes = parse_arch(genotype.data["arch"], self.settings.nodes, self.settings.ops)
        return {f"edge{i}->{j}": op for j, node in enumerate(nodes, start=1) for op, i in node}

    def to_string(self, genotype: Genotype) -> str:
        return genotype.data["arch"]

    def from_string(self, text: str) -> Genotype:
        text = text.strip()
        if text.startswith("{"):
            return super().from_string(text)
        return self.genotype({"arch": text})

    def build(self, genotype: Genotype, num_classes: int = 10, input_size=(3, 32, 32)) -> nn.Module:
        nodes = parse_arch(genotype.data["arch"], self.settings.nodes, self.settings.ops)
        s = self.settings
        return NB201Network(nodes, s.channels, s.cells_per_stage, num_classes, input_size[0], make_op)
