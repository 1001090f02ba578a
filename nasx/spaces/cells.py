"""The NASNet / PNAS cell space: B blocks per cell, each adds two op outputs.

Genotype description: `{"normal": [[in_a, op_a, in_b, op_b], ...], "reduce": [...]}` (one list of
blocks per cell type; spaces declared with `separate_reduction: false`, like PNAS, have only
`normal` and reuse it with stride 2 as the reduction cell). Input index 0 is the output of the cell
before the previous one, 1 the previous cell's, 2+j block j of this cell. A cell's output is the
concatenation of all its blocks (the DARTS/PNAS convention). A genotype may have fewer blocks than
the space's B (PNAS's progressive stages train 1..B-block cells); both cells must have the same count.
Optional `normal_concat` / `reduce_concat` name the states a cell's output concatenates (NASNet-A
and AmoebaNet-A use a subset); when a list equals the default (all blocks) it is dropped, so the
canonical form and the hash of every genotype without one are unchanged.
Spaces declared with `concat: loose_ends` (ENAS's micro space) derive each cell's concat list from
its blocks: the block states no other block reads (melodyguan/enas `micro_child.py` `_fixed_combine`),
so every genotype of such a space carries the list its network concatenates; the default `all`
keeps the convention above.

Network (`cell_network.py`, shared with exported code): a `cifar`, `imagenet` or `nasnet` skeleton, L cells
(`cells`, or `stages` x `cells_per_stage` normal cells with a reduction cell between stages) with
reductions at k*L//stages, global average pooling, a linear classifier, and optionally the
auxiliary head (`auxiliary: true`).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from torch import nn

from ..errors import GenotypeError, SpaceError
from ..genotype import Genotype
from ..ops import make_op, op_allowed
from .base import Chooser, SearchSpace, SpaceSettings, check_ops, positive_int
from .cell_network import SKELETONS, cell_layout, cell_network
from .registry import register_kind

CONCAT_MODES = ("all", "loose_ends")


def loose_ends(blocks: list) -> list[int]:
    """The block states (2+j) that no block of the cell reads: ENAS's cell output."""
    read = {i for blk in blocks for i in (blk[0], blk[2])}
    return [2 + j for j in range(len(blocks)) if 2 + j not in read]


@dataclass
class CellSettings(SpaceSettings):
    ops: list = field(default_factory=list)
    blocks: int = 5
    channels: int = 16
    cells_per_stage: int = 1
    stages: int = 3
    stem_multiplier: int = 3
    separate_reduction: bool = True
    cells: int = 0  # total cells L incl. reductions (DARTS --layers); 0: stages x cells_per_stage + stages - 1
    skeleton: str = "cifar"  # "cifar" (3x3 stem), "imagenet" (DARTS's stride-8 stem), "nasnet" (stem cells)
    stem_channels: int = 0  # nasnet skeleton's conv0 width; 0: NASNet-A mobile's 32
    auxiliary: bool = False  # auxiliary head on the last reduction cell (training mode only)
    concat: str = "all"  # a cell's output: "all" blocks, or "loose_ends" (the blocks no block reads, ENAS)

    def check(self, where):
        check_ops(self.ops, where)
        if len(set(self.ops)) != len(self.ops):
            raise SpaceError(f"{where}: ops lists an op twice")
        positive_int(self.blocks, "blocks", where, 1, 12)
        positive_int(self.channels, "channels", where, 1, 4096)
        positive_int(self.cells_per_stage, "cells_per_stage", where, 1, 64)
        positive_int(self.stages, "stages", where, 1, 6)
        positive_int(self.stem_multiplier, "stem_multiplier", where, 1, 16)
        if not isinstance(self.separate_reduction, bool):
            raise SpaceError(f"{where}: separate_reduction must be true or false")
        positive_int(self.cells, "cells", where, 0, 1000)
        positive_int(self.stem_channels, "stem_channels", where, 0, 4096)
        if self.skeleton not in SKELETONS:
            raise SpaceError(f"{where}: skeleton must be one of {', '.join(SKELETONS)}, got {self.skeleton!r}")
        if not isinstance(self.auxiliary, bool):
            raise SpaceError(f"{where}: auxiliary must be true or false")
        if self.concat not in CONCAT_MODES:
            raise SpaceError(f"{where}: concat must be one of {', '.join(CONCAT_MODES)}, got {self.concat!r}")
        try:
            cell_layout(self.stages, self.cells_per_stage, self.cells)
        except ValueError as exc:
            raise SpaceError(f"{where}: {exc}") from None

    def as_dict(self) -> dict:
        """The plain values the network builder reads (also embedded in exported code)."""
        return {"channels": self.channels, "stages": self.stages, "cells_per_stage": self.cells_per_stage,
                "cells": self.cells, "stem_multiplier": self.stem_multiplier, "skeleton": self.skeleton,
                "auxiliary": self.auxiliary, "stem_channels": self.stem_channels}


@register_kind("cells")
class CellSpace(SearchSpace):
    kind = "cells"
    settings_cls = CellSettings
    network_keys = ("channels", "cells_per_stage", "stages", "stem_multiplier", "cells", "skeleton", "auxiliary",
                    "stem_channels")

    @property
    def cell_names(self) -> list[str]:
        return ["normal", "reduce"] if self.settings.separate_reduction else ["normal"]

    def _walk(self, chooser: Chooser, blocks: int | None = None) -> dict:
        out = {}
        ops = tuple(self.settings.ops)
        for cell in self.cell_names:
            bl = []
            for i in range(blocks or self.settings.blocks):
                ins = tuple(range(2 + i))
                ia = chooser.choose(f"{cell}.b{i}.in0", ins)
                oa = chooser.choose(f"{cell}.b{i}.op0", ops)
                ib = chooser.choose(f"{cell}.b{i}.in1", ins)
                ob = chooser.choose(f"{cell}.b{i}.op1", ops)
                bl.append([ia, oa, ib, ob])
            out[cell] = bl
        return out

    def canonicalize(self, data: dict) -> dict:
        s = self.settings
        expected = set(self.cell_names)
        optional = {f"{c}_concat" for c in self.cell_names}
        if not expected <= set(data) <= expected | optional:
            raise GenotypeError(f"space {self.name}: genotype needs the keys {sorted(expected)} "
                                f"(optionally {', '.join(sorted(optional))}), got {sorted(data)}")
        counts = set()
        out = {}
        for cell in self.cell_names:
            blocks = data[cell]
            if not isinstance(blocks, list) or not (1 <= len(blocks) <= s.blocks):
                n = len(blocks) if isinstance(blocks, list) else "no"
                raise GenotypeError(f"space {self.name}: {cell} cell has {n} blocks; this space allows 1..{s.blocks}")
            counts.add(len(blocks))
            canon = []
            for i, blk in enumerate(blocks):
                where = f"space {self.name}: {cell} block {i}"
                if not isinstance(blk, list) or len(blk) != 4:
                    raise GenotypeError(f"{where}: a block is [input_a, op_a, input_b, op_b], got {blk!r}")
                pairs = []
                for inp, op in ((blk[0], blk[1]), (blk[2], blk[3])):
                    if isinstance(inp, bool) or not isinstance(inp, int):
                        raise GenotypeError(f"{where}: input index {inp!r} is not an integer")
                    if not (0 <= inp < 2 + i):
                        raise GenotypeError(f"{where}: input index {inp} is dangling (allowed 0..{1 + i}: "
                                            "0/1 = previous cells, 2+j = block j before this one)")
                    if not isinstance(op, str) or not op_allowed(op, s.ops):
                        raise GenotypeError(f"{where}: unknown op {op!r} (space ops: {', '.join(s.ops)})")
                    pairs.append((inp, op))
                pairs.sort()
                canon.append([pairs[0][0], pairs[0][1], pairs[1][0], pairs[1][1]])
            out[cell] = canon
        if len(counts) > 1:
            raise GenotypeError(f"space {self.name}: normal and reduce cells have different block counts {sorted(counts)}")
        for cell in self.cell_names:
            concat = None
            if f"{cell}_concat" in data:
                concat = self._concat(data[f"{cell}_concat"], len(out[cell]), cell)
            if s.concat == "loose_ends":
                ends = loose_ends(out[cell])
                if concat is not None and concat != ends:
                    raise GenotypeError(f"space {self.name}: {cell}_concat {concat} is not the cell's loose ends "
                                        f"{ends} (this space concatenates the blocks no block reads; drop the list)")
                concat = ends
            if concat is not None and concat != list(range(2, 2 + len(out[cell]))):
                out[f"{cell}_concat"] = concat
        return out

    def _concat(self, concat, blocks: int, cell: str) -> list[int]:
        """A concat list: distinct state indices 0..1+blocks (0/1 the cell inputs, 2+j block j), sorted."""
        where = f"space {self.name}: {cell}_concat"
        if not isinstance(concat, list) or not concat:
            raise GenotypeError(f"{where} must be a non-empty list of state indices, got {concat!r}")
        for i in concat:
            if isinstance(i, bool) or not isinstance(i, int) or not (0 <= i <= 1 + blocks):
                raise GenotypeError(f"{where}: state {i!r} does not exist (allowed 0..{1 + blocks}: "
                                    "0/1 = the cell inputs, 2+j = block j)")
        if len(set(concat)) != len(concat):
            raise GenotypeError(f"{where} names a state twice: {concat}")
        return sorted(concat)

    def choices(self, genotype: Genotype) -> dict:
        ch = {}
        for cell in self.cell_names:
            blocks = genotype.data[cell]
            for i, (ia, oa, ib, ob) in enumerate(blocks):
                ch.update({f"{cell}.b{i}.in0": ia, f"{cell}.b{i}.op0": oa,
                           f"{cell}.b{i}.in1": ib, f"{cell}.b{i}.op1": ob})
        return ch

    def num_blocks(self, genotype: Genotype) -> int:
        return len(genotype.data["normal"])

    # ---- progressive growth (PNAS): cells of b blocks -> their (b+1)-block children
    def block_options(self, index: int) -> list[list]:
        """Every distinct canonical block at position `index` (unordered (input, op) pairs, repeats allowed)."""
        pairs = sorted((i, op) for i in range(2 + index) for op in self.settings.ops)
        return [[a[0], a[1], b[0], b[1]] for a, b in itertools.combinations_with_replacement(pairs, 2)]

    def initial_cells(self) -> list[Genotype]:
        """All distinct 1-block genotypes: PNAS's first stage."""
        return self._grow({cell: [] for cell in self.cell_names})

    def expand(self, genotype: Genotype) -> list[Genotype]:
        """All children with one more block (b -> b+1), de-duplicated by canonical hash; [] at B blocks."""
        if self.num_blocks(genotype) >= self.settings.blocks:
            return []
        return self._grow(genotype.data)

    def _grow(self, data: dict) -> list[Genotype]:
        b = len(data[self.cell_names[0]])
        options = self.block_options(b)
        seen, out = set(), []
        for new in itertools.product(options, repeat=len(self.cell_names)):
            child = self.genotype({c: list(data[c]) + [blk] for c, blk in zip(self.cell_names, new)})
            if child.hash not in seen:
                seen.add(child.hash)
                out.append(child)
        return out

    def block_tokens(self, genotype: Genotype) -> list[list[str]]:
        """One token row per block index (block i of every cell type): the input a sequence model reads."""
        d = genotype.data
        return [[f"{kind}:{v}" for c in self.cell_names for kind, v in zip(("in", "op", "in", "op"), d[c][i])]
                for i in range(len(d[self.cell_names[0]]))]

    def size(self) -> int:
        per_cell = 1
        for i in range(self.settings.blocks):
            n = (2 + i) * len(self.settings.ops)
            per_cell *= n * (n + 1) // 2  # unordered pair of (input, op), repeats allowed
        return per_cell ** len(self.cell_names)

    def build(self, genotype: Genotype, num_classes: int = 10, input_size=(3, 32, 32)) -> nn.Module:
        return cell_network(genotype.data, num_classes, tuple(input_size), self.settings.as_dict(), make_op)

