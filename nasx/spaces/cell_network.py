"""The NASNet / PNAS / DARTS cell network, as the papers' reference code stacks it.

One builder for the engine and for exported code: `nasx export` copies `cell_network` and what it
reads into model.py verbatim (nasx.export.vendor), passing a `make_op` that spells out the ops the
genotype uses; the engine passes `nasx.ops.create_op`. So the trained network and the exported one
cannot drift. Only torch is imported here.

Layout (DARTS `cnn/model.py`): L cells; with S stages the reduction cells sit at k*L//S for
k = 1..S-1 (L//3 and 2L//3 for three stages) and double the channels. A cell preprocesses its two
inputs with ReLU-Conv1x1-BN (FactorizedReduce for the older one after a reduction), applies stride 2
to ops that read the cell inputs when it reduces, and concatenates the states its concat list names.
Skeletons: `cifar` (3x3 conv stem to stem_multiplier*C channels, both cell inputs = stem) and
`imagenet` (DARTS NetworkImageNet: stem0 = conv3x3 s2 (C/2) BN ReLU conv3x3 s2 (C) BN, stem1 =
ReLU conv3x3 s2 (C) BN; the first cell sees a "reduction" before it) and `nasnet` (the ImageNet
skeleton of NASNet / AmoebaNet / PNASNet, TF-slim `nasnet.py` `_imagenet_stem`: conv0 3x3 stride 2
without padding to `stem_channels` (32) + BN, then two *reduction cells* as stem cells at C/4 and
C/2 channels, then the L cells; a ReLU before the global pooling). The optional auxiliary head
reads the last reduction cell's output (cell 2L//3 with three stages) in training mode only.
Drop-path (`drop_path_prob`, set by the trainer per epoch) zeroes whole op outputs per sample in
training, never on identity ops (DARTS `utils.drop_path`).
"""

from __future__ import annotations

import torch
from torch import nn

from ..ops import FactorizedReduce, ReLUConvBN

SKELETONS = ("cifar", "imagenet", "nasnet")
NASNET_STEM_CHANNELS = 32  # NASNet-A mobile's conv0 (large: 96 = 32 x its stem multiplier 3)


def cell_layout(stages: int, cells_per_stage: int, cells: int = 0) -> list[bool]:
    """Reduction flag per cell: L = `cells` (or stages * cells_per_stage + stages - 1), reductions at k*L//S."""
    total = cells or stages * cells_per_stage + stages - 1
    at = {k * total // stages for k in range(1, stages)}
    if len(at) != stages - 1 or total < stages or 0 in at:
        raise ValueError(f"{total} cells cannot hold {stages - 1} reduction cells between {stages} stages "
                         f"(need at least {stages} cells)")
    return [i in at for i in range(total)]


def drop_path(x: torch.Tensor, drop_prob: float) -> torch.Tensor:
    """Zero each sample's output with probability drop_prob, scale the kept ones by 1/(1-p)."""
    keep = 1.0 - drop_prob
    mask = torch.empty(x.shape[0], 1, 1, 1, device=x.device, dtype=x.dtype).bernoulli_(keep)
    return x.div(keep).mul(mask)


class Cell(nn.Module):
    """One cell: blocks of two ops on earlier states summed; the output concatenates `concat`."""

    def __init__(self, blocks, concat, c_pp, c_p, c, reduction, reduction_prev, make_op):
        super().__init__()
        self.pre0 = FactorizedReduce(c_pp, c) if reduction_prev else ReLUConvBN(c_pp, c, 1, 1, 0)
        self.pre1 = ReLUConvBN(c_p, c, 1, 1, 0)
        self.inputs = [(b[0], b[2]) for b in blocks]
        self.concat = list(concat)
        self.ops = nn.ModuleList()
        for ia, oa, ib, ob in blocks:
            for i, op in ((ia, oa), (ib, ob)):
                self.ops.append(make_op(op, c, 2 if reduction and i < 2 else 1))
        self.c_out = c * len(self.concat)

    def forward(self, s0, s1, drop_prob: float = 0.0):
        states = [self.pre0(s0), self.pre1(s1)]
        for j, (ia, ib) in enumerate(self.inputs):
            ha, hb = self.ops[2 * j](states[ia]), self.ops[2 * j + 1](states[ib])
            if self.training and drop_prob > 0.0:
                if not isinstance(self.ops[2 * j], nn.Identity):
                    ha = drop_path(ha, drop_prob)
                if not isinstance(self.ops[2 * j + 1], nn.Identity):
                    hb = drop_path(hb, drop_prob)
            states.append(ha + hb)
        return torch.cat([states[i] for i in self.concat], dim=1)


class AuxiliaryHead(nn.Module):
    """DARTS's AuxiliaryHeadCIFAR (ReLU, 5x5/3 avg pool to 2x2 on its 8x8 input, 1x1 conv 128, BN,
    ReLU, 2x2 conv 768, BN, ReLU, linear); inputs under 8x8 are pooled to 2x2 adaptively, and a
    final global pool lets it read any size (a no-op at the reference's 8x8)."""

    def __init__(self, c, num_classes, side):
        super().__init__()
        pool = (nn.AvgPool2d(5, stride=3, padding=0, count_include_pad=False) if side >= 8
                else nn.AdaptiveAvgPool2d(2))
        self.features = nn.Sequential(
            nn.ReLU(inplace=False), pool,
            nn.Conv2d(c, 128, 1, bias=False), nn.BatchNorm2d(128), nn.ReLU(inplace=False),
            nn.Conv2d(128, 768, 2, bias=False), nn.BatchNorm2d(768), nn.ReLU(inplace=False),
            nn.AdaptiveAvgPool2d(1))
        self.classifier = nn.Linear(768, num_classes)

    def forward(self, x):
        return self.classifier(torch.flatten(self.features(x), 1))


def _side_after(side: int, stride2: int) -> int:
    for _ in range(stride2):
        side = (side + 1) // 2
    return side


class CellNetwork(nn.Module):
    """Stem, L cells, global average pooling, linear classifier (+ auxiliary head in training)."""

    def __init__(self, normal, normal_concat, reduce, reduce_concat, settings: dict, num_classes: int,
                 input_size, make_op):
        super().__init__()
        c = int(settings["channels"])
        skeleton = settings.get("skeleton", "cifar")
        layout = cell_layout(int(settings["stages"]), int(settings["cells_per_stage"]), int(settings.get("cells", 0)))
        in_channels, side = int(input_size[0]), int(min(input_size[1:]))
        self.drop_path_prob = 0.0
        self.final_relu = skeleton == "nasnet"
        self.stem_cells = nn.ModuleList()
        if skeleton == "nasnet":
            c_stem = int(settings.get("stem_channels") or NASNET_STEM_CHANNELS)
            self.stem = nn.Sequential(nn.Conv2d(in_channels, c_stem, 3, stride=2, padding=0, bias=False),
                                      nn.BatchNorm2d(c_stem))
            side = (side - 3) // 2 + 1
            c_pp, c_p, reduction_prev = c_stem, c_stem, False
            for scale in (4, 2):  # stem cell 0 reads conv0 twice (NASNet: prev_layer None -> the input)
                side = _side_after(side, 1)
                cell = Cell(reduce, reduce_concat, c_pp, c_p, max(1, c // scale), True, reduction_prev, make_op)
                self.stem_cells.append(cell)
                c_pp, c_p, reduction_prev = c_p, cell.c_out, True
        elif skeleton == "imagenet":
            self.stem0 = nn.Sequential(
                nn.Conv2d(in_channels, c // 2, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(c // 2),
                nn.ReLU(inplace=False), nn.Conv2d(c // 2, c, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(c))
            self.stem1 = nn.Sequential(nn.ReLU(inplace=False), nn.Conv2d(c, c, 3, stride=2, padding=1, bias=False),
                                       nn.BatchNorm2d(c))
            c_pp, c_p, reduction_prev, side = c, c, True, _side_after(side, 3)
        else:
            c_stem = int(settings["stem_multiplier"]) * c
            self.stem = nn.Sequential(nn.Conv2d(in_channels, c_stem, 3, padding=1, bias=False),
                                      nn.BatchNorm2d(c_stem))
            c_pp, c_p, reduction_prev = c_stem, c_stem, False
        self.cells = nn.ModuleList()
        aux_at = max((i for i, r in enumerate(layout) if r), default=2 * len(layout) // 3)
        self.aux_at = aux_at if settings.get("auxiliary") else -1
        for i, reduction in enumerate(layout):
            if reduction:
                c *= 2
                side = _side_after(side, 1)
            blocks, concat = (reduce, reduce_concat) if reduction else (normal, normal_concat)
            cell = Cell(blocks, concat, c_pp, c_p, c, reduction, reduction_prev, make_op)
            self.cells.append(cell)
            c_pp, c_p, reduction_prev = c_p, cell.c_out, reduction
            if i == self.aux_at:
                self.auxiliary_head = AuxiliaryHead(c_p, num_classes, side)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(c_p, num_classes)

    def forward(self, x):
        if hasattr(self, "stem0"):
            s0 = self.stem0(x)
            s1 = self.stem1(s0)
        else:
            s0 = s1 = self.stem(x)
        for cell in self.stem_cells:
            s0, s1 = s1, cell(s0, s1, self.drop_path_prob)
        aux = None
        for i, cell in enumerate(self.cells):
            s0, s1 = s1, cell(s0, s1, self.drop_path_prob)
            if i == self.aux_at and self.training:
                aux = self.auxiliary_head(s1)
        if self.final_relu:
            s1 = torch.relu(s1)
        logits = self.classifier(torch.flatten(self.pool(s1), 1))
        return (logits, aux) if aux is not None else logits


def cell_network(description: dict, num_classes: int, input_size, settings: dict, make_op) -> CellNetwork:
    """The network of a cell genotype's `description` (validated, canonical) under `settings`."""
    normal = description["normal"]
    reduce = description.get("reduce", normal)
    normal_concat = description.get("normal_concat") or list(range(2, 2 + len(normal)))
    reduce_concat = description.get("reduce_concat") or (
        normal_concat if "reduce" not in description else list(range(2, 2 + len(reduce))))
    return CellNetwork(normal, normal_concat, reduce, reduce_concat, settings, num_classes, input_size, make_op)
