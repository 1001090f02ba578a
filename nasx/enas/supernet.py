"""Supernets: one module per (edge, op) holding the weights every child shares (cells: per node, slot, input, op).

Each supernet mirrors its space's standalone network module by module (same stem, reductions,
classifier; `create_op` builds every candidate op exactly as a child would), and replaces each
chosen-op slot by a ModuleList over all the space's ops. `child_map(genotype)` says which
supernet module feeds each child module and `input_slices(genotype)` which input channels a
narrower child module keeps (a cell concatenating fewer nodes), so `child_from_supernet` is a
state-dict key rewrite plus a slice, and the child computes exactly what the supernet computes on
that path. These are the image supernets (`SUPERNETS`, the image kind's in `kinds.py`); the
recurrent-cell one is `rnn_supernet.py`.
"""

from __future__ import annotations

import torch
from torch import nn

from ..genotype import Genotype
from ..ops import FactorizedReduce, ReLUConvBN, create_op
from ..registry import Registry
from ..spaces.cell_network import cell_layout
from ..spaces.macro_network import MacroReductions, macro_forward, macro_widths
from ..spaces.nb201 import parse_arch
from ..spaces.nb201_network import nb201_skeleton
from .kinds import enas_kind


def _all_ops(ops, c: int, stride: int) -> nn.ModuleList:
    return nn.ModuleList(create_op(op, c, c, stride) for op in ops)


class SuperNet(nn.Module):
    """Base: `forward(x, genotype=None)` runs the given (or last `set_arch`) architecture's paths."""

    def __init__(self, space):
        super().__init__()
        self.space = space
        self.op_index = {op: k for k, op in enumerate(space.ops())}
        self._arch = None

    def set_arch(self, genotype: Genotype) -> None:
        self._arch = self.plan(genotype)

    def forward(self, x, genotype: Genotype | None = None):
        arch = self.plan(genotype) if genotype is not None else self._arch
        if arch is None:
            raise ValueError("supernet: no architecture given (pass a genotype or call set_arch)")
        return self.run(x, arch)

    def plan(self, genotype: Genotype):
        """The genotype as index structures the forward pass reads."""
        raise NotImplementedError

    def run(self, x, arch):
        raise NotImplementedError

    def child_map(self, genotype: Genotype) -> dict[str, str]:
        """Child module prefix -> supernet module prefix (modules not listed share their name)."""
        raise NotImplementedError

    def input_slices(self, genotype: Genotype) -> dict[str, list[int]]:
        """Child module prefix -> the input channels of its supernet weights the child keeps (its
        conv / linear weights are that slice along dim 1); modules not listed keep every channel."""
        return {}

    def child(self, genotype: Genotype, num_classes: int | None = None, input_size=None) -> nn.Module:
        """The standalone network of `genotype` (`space.build`) carrying the supernet's shared weights:
        its state dict renamed by `child_map` and sliced by `input_slices`."""
        num_classes = num_classes or self.classifier.out_features
        first = next(m for m in self.stem.modules() if isinstance(m, nn.Conv2d))
        input_size = input_size or (first.in_channels, 32, 32)
        child = self.space.build(genotype, num_classes=num_classes, input_size=tuple(input_size))
        shared = self.state_dict()
        mapping = self.child_map(genotype)
        slices = {head: torch.tensor(keep, dtype=torch.long) for head, keep in self.input_slices(genotype).items()}
        state = {}
        for k in child.state_dict():
            t = shared[_rename(k, mapping)]
            head = next((h for h in slices if k.startswith(h + ".")), None)
            state[k] = (t.index_select(1, slices[head].to(t.device)) if head and t.dim() >= 2 else t).clone()
        child.load_state_dict(state)
        return child.to(next(self.parameters()).device)


# ---------------------------------------------------------------- cells (NASNet / PNAS)


class SuperCell(nn.Module):
    """Cell whose op weights are shared per (node, slot, input, op), as in the reference code
    (melodyguan/enas `micro_child.py` `_enas_cell` / `_enas_conv`: every weight is created with a
    leading `num_possible_inputs` axis and indexed by the state the op reads, under a variable scope
    per node and per slot x / y): `edges[node][slot][input][op]`. Ops reading the two cell inputs of
    a reduction cell have stride 2, as in the standalone child (the reference's search-time
    reduction cell instead factorized-reduces its inputs and runs stride-1 ops; see docs/enas.md).

    The output concatenates every node's state with the states outside the genotype's concat list
    (ENAS: the nodes another node reads) replaced by zeros, so the next cells' 1x1 convs, sized for
    all nodes, apply exactly the input-channel slice the standalone child holds (`input_slices`):
    the reference's gathered `final_conv` weight, placed where the child network has its 1x1 conv.
    """

    def __init__(self, ops, blocks, c_pp, c_p, c, reduction, reduction_prev):
        super().__init__()
        self.pre0 = FactorizedReduce(c_pp, c) if reduction_prev else ReLUConvBN(c_pp, c, 1, 1, 0)
        self.pre1 = ReLUConvBN(c_p, c, 1, 1, 0)
        self.reduction = reduction
        self.edges = nn.ModuleList(
            nn.ModuleList(nn.ModuleList(_all_ops(ops, c, 2 if reduction and i < 2 else 1) for i in range(2 + j))
                          for _slot in range(2))
            for j in range(blocks))
        self.c = c
        self.c_out = c * blocks

    def forward(self, s0, s1, plan):
        blocks, concat = plan
        states = [self.pre0(s0), self.pre1(s1)]
        for j, (ia, oa, ib, ob) in enumerate(blocks):
            states.append(self.edges[j][0][ia][oa](states[ia]) + self.edges[j][1][ib][ob](states[ib]))
        return torch.cat([h if i in concat else torch.zeros_like(h) for i, h in enumerate(states) if i >= 2], dim=1)

    def channels(self, concat) -> list[int]:
        """The output channels the child's concatenation of `concat` keeps."""
        return [(i - 2) * self.c + k for i in concat for k in range(self.c)]


class CellSuperNet(SuperNet):
    def __init__(self, space, num_classes: int, in_channels: int):
        super().__init__(space)
        s = space.settings
        if s.skeleton != "cifar" or s.auxiliary:
            raise ValueError("the ENAS cells supernet supports the cifar skeleton without auxiliary head "
                             f"(got skeleton {s.skeleton}, auxiliary {s.auxiliary})")
        c = s.channels
        c_stem = s.stem_multiplier * c
        self.stem = nn.Sequential(nn.Conv2d(in_channels, c_stem, 3, padding=1, bias=False), nn.BatchNorm2d(c_stem))
        self.cells = nn.ModuleList()
        self.kinds: list[str] = []
        c_pp, c_p, reduction_prev = c_stem, c_stem, False
        for reduction in cell_layout(s.stages, s.cells_per_stage, s.cells):  # the child network's layout
            c = c * 2 if reduction else c
            cell = SuperCell(s.ops, s.blocks, c_pp, c_p, c, reduction, reduction_prev)
            self.cells.append(cell)
            self.kinds.append("reduce" if reduction else "normal")
            c_pp, c_p, reduction_prev = c_p, cell.c_out, reduction
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(c_p, num_classes)

    def plan(self, genotype):
        d = dict(genotype.data)
        blocks = self.space.settings.blocks
        if "reduce" not in d:
            d["reduce"] = d["normal"]
            d.setdefault("reduce_concat", d.get("normal_concat"))
        if any(len(d[k]) != blocks for k in ("normal", "reduce")):
            raise ValueError(f"supernet: genotypes need all {blocks} blocks")
        idx = self.op_index
        out = {}
        for k in ("normal", "reduce"):
            concat = d.get(f"{k}_concat") or list(range(2, 2 + blocks))
            if min(concat) < 2:
                raise ValueError(f"supernet: {k}_concat {concat} names a cell input; a supernet path concatenates nodes")
            out[k] = ([(ia, idx[oa], ib, idx[ob]) for ia, oa, ib, ob in d[k]], frozenset(concat))
        return out

    def run(self, x, arch):
        s0 = s1 = self.stem(x)
        for cell, kind in zip(self.cells, self.kinds):
            s0, s1 = s1, cell(s0, s1, arch[kind])
        return self.classifier(torch.flatten(self.pool(s1), 1))

    def child_map(self, genotype):
        arch = self.plan(genotype)
        out = {}
        for n, kind in enumerate(self.kinds):
            for j, (ia, oa, ib, ob) in enumerate(arch[kind][0]):
                out[f"cells.{n}.ops.{2 * j}"] = f"cells.{n}.edges.{j}.0.{ia}.{oa}"
                out[f"cells.{n}.ops.{2 * j + 1}"] = f"cells.{n}.edges.{j}.1.{ib}.{ob}"
        return out

    def input_slices(self, genotype):
        arch = self.plan(genotype)
        keep = [cell.channels(sorted(arch[kind][1])) for cell, kind in zip(self.cells, self.kinds)]
        out = {"classifier": keep[-1]}
        for n in range(len(self.cells)):
            if n >= 1:
                out[f"cells.{n}.pre1"] = keep[n - 1]
            if n >= 2:
                out[f"cells.{n}.pre0"] = keep[n - 2]
        return out


# ---------------------------------------------------------------- NAS-Bench-201


class NB201SuperCell(nn.Module):
    def __init__(self, ops, nodes, c):
        super().__init__()
        self.index = [(j, i) for j in range(1, nodes) for i in range(j)]
        self.edges = nn.ModuleList(_all_ops(ops, c, 1) for _ in self.index)

    def forward(self, x, plan):
        states = [x]
        k = 0
        for j in range(1, len(plan) + 1):
            acc = None
            for i in range(j):
                y = self.edges[k][plan[j - 1][i]](states[i])
                acc = y if acc is None else acc + y
                k += 1
            states.append(acc)
        return states[-1]


class NB201SuperNet(SuperNet):
    def __init__(self, space, num_classes: int, in_channels: int):
        super().__init__(space)
        s = space.settings
        nb201_skeleton(self, s.channels, s.cells_per_stage, num_classes, in_channels,
                       lambda c: NB201SuperCell(s.ops, s.nodes, c))

    def plan(self, genotype):
        s = self.space.settings
        nodes = parse_arch(genotype.data["arch"], s.nodes, s.ops)
        return [[self.op_index[op] for op, _ in node] for node in nodes]

    def run(self, x, arch):
        x = self.stem(x)
        for layer in self.cells:
            x = layer(x, arch) if isinstance(layer, NB201SuperCell) else layer(x)
        x = self.lastact(x)
        return self.classifier(torch.flatten(self.pool(x), 1))

    def child_map(self, genotype):
        flat = [k for node in self.plan(genotype) for k in node]
        return {f"cells.{n}.edges.{e}": f"cells.{n}.edges.{e}.{k}"
                for n, layer in enumerate(self.cells) if isinstance(layer, NB201SuperCell)
                for e, k in enumerate(flat)}


# ---------------------------------------------------------------- ENAS macro chain


class MacroSuperLayer(nn.Module):
    def __init__(self, ops, c):
        super().__init__()
        self.ops = _all_ops(ops, c, 1)
        self.bn = nn.BatchNorm2d(c)

    def forward(self, h, outs, op, skips):
        y = self.ops[op](h)
        for j in skips:
            y = y + outs[j]
        return self.bn(y)


class MacroSuperNet(SuperNet):
    def __init__(self, space, num_classes: int, in_channels: int):
        super().__init__(space)
        s = space.settings
        if s.auxiliary:
            raise ValueError("the ENAS macro supernet has no auxiliary head (a final-training setting)")
        self.stem = nn.Sequential(nn.Conv2d(in_channels, s.channels, 3, padding=1, bias=False),
                                  nn.BatchNorm2d(s.channels))
        self.reductions = MacroReductions(s.channels, s.reductions())
        widths = macro_widths(s.channels, s.layers, s.reductions())
        self.points = {i: k for k, i in enumerate(s.reductions())}
        self.layers = nn.ModuleList(MacroSuperLayer(s.ops, w) for w in widths)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(widths[-1], num_classes)

    def plan(self, genotype):
        return [(self.op_index[op], skips) for op, skips in genotype.data["layers"]]

    def run(self, x, arch):
        return macro_forward(self, x, lambda i, h, outs: self.layers[i](h, outs, *arch[i]))

    def child_map(self, genotype):
        return {f"layers.{i}.op": f"layers.{i}.ops.{k}" for i, (k, _) in enumerate(self.plan(genotype))}


# ---------------------------------------------------------------- entry points

SUPERNETS: Registry[type] = Registry("ENAS supernet")  # image space kind -> its weight-sharing supernet
for _kind, _cls in (("cells", CellSuperNet), ("nb201", NB201SuperNet), ("macro", MacroSuperNet)):
    SUPERNETS.add(_kind, _cls)


def build_supernet(space, num_classes: int = 10, input_size=(3, 32, 32)) -> SuperNet:
    """The weight-sharing supernet of `space`, found through its task kind's supernets (`kinds.py`):
    images (cells, nb201, macro), language models (rnn_cell: `num_classes` is the vocabulary)."""
    return enas_kind(space).supernets[space.kind](space, num_classes, input_size[0])


def _rename(key: str, mapping: dict[str, str]) -> str:
    parts = key.split(".")
    for cut in range(len(parts) - 1, 0, -1):  # the longest mapped prefix wins
        head = ".".join(parts[:cut])
        if head in mapping:
            return ".".join([mapping[head], *parts[cut:]])
    return key


def child_from_supernet(supernet: SuperNet, genotype: Genotype, num_classes: int | None = None,
                        input_size=None) -> nn.Module:
    """The standalone network of `genotype` (`space.build`) carrying the supernet's shared weights."""
    return supernet.child(genotype, num_classes, input_size)
