"""Genotype -> PyTorch source: one emitter per space kind, registered like the kinds themselves.

An emitter writes the space's cells with every op spelled out (the engine picks ops by name at run
time; exported code must not), and a network class that mirrors the engine's so that attribute
names, and so state_dict keys, are the same. The op classes come verbatim from nasx.ops / nasx.blocks
through `vendor`. Only validated values reach the text: op names pass `emit_op`, numbers the bounds
in `safety`, and the class name the identifier regex.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePath

from ..errors import NasxError
from ..genotype import Genotype
from .ops import emit_op
from .safety import MAX_CHANNELS, bounded_int, identifier, op_name


@dataclass
class Generated:
    """Source of a network: class name, its code, the vendored definitions it needs, build()'s call."""

    class_name: str
    code: str
    needs: list[tuple[str, str]] = field(default_factory=list)
    build_args: str = "num_classes: int = NUM_CLASSES, in_channels: int = IN_CHANNELS"
    build_call: str = "num_classes, in_channels"
    extra_imports: list[str] = field(default_factory=list)


SpaceEmitter = Callable[[object, Genotype], Generated]
SPACE_EMITTERS: dict[str, SpaceEmitter] = {}


def register_space_emitter(kind: str):
    def deco(fn: SpaceEmitter) -> SpaceEmitter:
        SPACE_EMITTERS[kind] = fn
        return fn
    return deco


def generate(space, genotype: Genotype) -> Generated:
    """The source for `genotype` of `space` (re-validated here: only a canonical genotype passes)."""
    if genotype.space != space.name:
        raise NasxError(f"genotype is of space {genotype.space!r}, not {space.name!r}")
    if space.genotype(genotype.data) != genotype:
        raise NasxError("genotype is not in its space's canonical form")
    if space.kind not in SPACE_EMITTERS:
        raise NasxError(f"space kind {space.kind!r} has no code emitter (nasx.export.codegen)")
    return SPACE_EMITTERS[space.kind](space, genotype)


def class_name(space_name: str, genotype: Genotype, suffix: str = "") -> str:
    """`nb201` -> `Nb201_4b33a4c4`: the space name (letters and digits only) plus the hash."""
    base = re.sub(r"[^A-Za-z0-9]", "", PurePath(space_name).stem).capitalize() or "Space"
    if base[0].isdigit():
        base = "Net" + base
    return identifier(f"{base}{suffix}_{genotype.hash[:8]}", "class name")


def _channels(settings) -> int:
    return bounded_int(settings.channels, "channels", 1, MAX_CHANNELS)


def _needs(codes) -> list[tuple[str, str]]:
    return list(dict.fromkeys(n for code in codes for n in code.needs))


# ---------------------------------------------------------------- cells (NASNet / PNAS)

def _cell_class(name: str, what: str, blocks: list, reduction: bool):
    """One cell type with its ops written out; forward names states s0, s1, b0, b1, ..."""
    states = ["s0", "s1"] + [f"b{j}" for j in range(len(blocks))]
    codes, op_lines, fwd = [], [], []
    for j, (ia, oa, ib, ob) in enumerate(blocks):
        terms = []
        for inp, op in ((ia, oa), (ib, ob)):
            bounded_int(inp, "block input", 0, j + 1)
            code = emit_op(op_name(op), 2 if reduction and inp < 2 else 1)
            codes.append(code)
            op_lines.append(f"            {code.expr},  # block {j}: {op} on {states[inp]}")
            terms.append(f"self.ops[{len(op_lines) - 1}]({states[inp]})")
        fwd.append(f"        b{j} = {' + '.join(terms)}")
    outs = ", ".join(states[2:])
    src = f'''class {name}(nn.Module):
    """{what}: {len(blocks)} blocks, each the sum of two ops on earlier states, all concatenated."""

    def __init__(self, c_pp: int, c_p: int, c: int, reduction_prev: bool):
        super().__init__()
        self.pre0 = FactorizedReduce(c_pp, c) if reduction_prev else ReLUConvBN(c_pp, c, 1, 1, 0)
        self.pre1 = ReLUConvBN(c_p, c, 1, 1, 0)
        self.ops = nn.ModuleList([
{chr(10).join(op_lines)}
        ])

    def forward(self, s0, s1):
        s0, s1 = self.pre0(s0), self.pre1(s1)
{chr(10).join(fwd)}
        return torch.cat([{outs}], dim=1)
'''
    return src, codes


@register_space_emitter("cells")
def emit_cells(space, genotype: Genotype) -> Generated:
    s = space.settings
    d = genotype.data
    normal, reduce = d["normal"], d.get("reduce", d["normal"])
    c = _channels(s)
    stages = bounded_int(s.stages, "stages", 1, 6)
    per_stage = bounded_int(s.cells_per_stage, "cells_per_stage", 1, 64)
    mult = bounded_int(s.stem_multiplier, "stem_multiplier", 1, 16)
    name = class_name(space.name, genotype, "Net")
    parts, codes = [], []
    src, cc = _cell_class("NormalCell", "The normal cell", normal, False)
    parts.append(src)
    codes += cc
    reduction = ""
    if stages > 1:
        src, cc = _cell_class("ReductionCell", "The reduction cell (stride 2 from s0/s1)", reduce, True)
        parts.append(src)
        codes += cc
        reduction = f"""            if stage > 0:
                c *= 2
                self.cells.append(ReductionCell(c_pp, c_p, c, reduction_prev))
                c_pp, c_p, reduction_prev = c_p, {len(reduce)} * c, True
"""
    parts.append(f'''class {name}(nn.Module):
    """Stem, {stages} stage(s) of {per_stage} normal cell(s) with reduction cells between, pooling, classifier."""

    def __init__(self, num_classes: int = NUM_CLASSES, in_channels: int = IN_CHANNELS):
        super().__init__()
        c = {c}
        c_stem = {mult} * c
        self.stem = nn.Sequential(nn.Conv2d(in_channels, c_stem, 3, padding=1, bias=False), nn.BatchNorm2d(c_stem))
        self.cells = nn.ModuleList()
        c_pp, c_p, reduction_prev = c_stem, c_stem, False
        for stage in range({stages}):
{reduction}            for _ in range({per_stage}):
                self.cells.append(NormalCell(c_pp, c_p, c, reduction_prev))
                c_pp, c_p, reduction_prev = c_p, {len(normal)} * c, False
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(c_p, num_classes)

    def forward(self, x):
        s0 = s1 = self.stem(x)
        for cell in self.cells:
            s0, s1 = s1, cell(s0, s1)
        return self.classifier(torch.flatten(self.pool(s1), 1))
''')
    needs = [("nasx.ops", "FactorizedReduce"), ("nasx.ops", "ReLUConvBN")] + _needs(codes)
    return Generated(name, "\n\n".join(parts), list(dict.fromkeys(needs)))


# ---------------------------------------------------------------- NAS-Bench-201

@register_space_emitter("nb201")
def emit_nb201(space, genotype: Genotype) -> Generated:
    from ..spaces.nb201 import parse_arch

    s = space.settings
    nodes = parse_arch(genotype.data["arch"], s.nodes, s.ops)
    c = _channels(s)
    per_stage = bounded_int(s.cells_per_stage, "cells_per_stage", 1, 64)
    name = class_name(space.name, genotype)
    codes, op_lines, fwd = [], [], []
    for j, node in enumerate(nodes, start=1):
        terms = []
        for op, i in node:
            bounded_int(i, "edge source", 0, j - 1)
            code = emit_op(op_name(op), 1)
            codes.append(code)
            op_lines.append(f"            {code.expr},  # node {i} -> node {j}: {op}")
            terms.append(f"self.edges[{len(op_lines) - 1}]({'x' if i == 0 else f'n{i}'})")
        fwd.append(f"        n{j} = {' + '.join(terms)}")
    code = f'''class Cell(nn.Module):
    """The searched cell: node j sums its edges' ops over earlier nodes; the last node is the output."""

    def __init__(self, c: int):
        super().__init__()
        self.edges = nn.ModuleList([
{chr(10).join(op_lines)}
        ])

    def forward(self, x):
{chr(10).join(fwd)}
        return n{len(nodes)}


class {name}(nn.Module):
    """NAS-Bench-201 network: stem, 3 stages of {per_stage} cells with residual reductions, classifier."""

    def __init__(self, num_classes: int = NUM_CLASSES, in_channels: int = IN_CHANNELS):
        super().__init__()
        c = {c}
        self.stem = nn.Sequential(nn.Conv2d(in_channels, c, 3, padding=1, bias=False), nn.BatchNorm2d(c))
        layers = []
        for stage in range(3):
            if stage > 0:
                layers.append(ResidualReduction(c, 2 * c))
                c *= 2
            layers.extend(Cell(c) for _ in range({per_stage}))
        self.cells = nn.Sequential(*layers)
        self.lastact = nn.Sequential(nn.BatchNorm2d(c), nn.ReLU(inplace=True))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(c, num_classes)

    def forward(self, x):
        x = self.lastact(self.cells(self.stem(x)))
        return self.classifier(torch.flatten(self.pool(x), 1))
'''
    needs = _needs(codes) + [("nasx.spaces.nb201", "ResidualReduction")]
    return Generated(name, code, list(dict.fromkeys(needs)))
