"""The NAS-Bench-201 CIFAR network (Dong & Yang, ICLR 2020), one builder for engine and export.

`nasx export` copies these classes into model.py verbatim (nasx.export.vendor) and passes a
`make_op` that spells out the cell's ops; the engine passes its op registry. So the trained network
and the exported one cannot drift. Only torch and nasx.ops' building blocks are read here.

Stem: 3x3 conv to C channels + BN; 3 stages of N cells with a residual reduction block (C -> 2C,
stride 2) between them; BN-ReLU, global pooling, linear classifier. A cell has nodes 0..n-1; node j
sums `op(node i)` over its edges i < j, and the last node is the output. Parameter counts match the
benchmark table's `params_m`.
"""

from __future__ import annotations

import torch
from torch import nn

from ..ops import ReLUConvBN


class NB201Cell(nn.Module):
    """`nodes[j-1]` lists node j's edges as (op, source) pairs; `edges` holds their ops in that order."""

    def __init__(self, nodes, c: int, make_op):
        super().__init__()
        self.edges = nn.ModuleList()
        self.index = []
        for j, node in enumerate(nodes, start=1):
            for op, i in node:
                self.index.append((j, int(i)))
                self.edges.append(make_op(op, c, 1))

    def forward(self, x):
        states = [x]
        k = 0
        while len(states) <= max(j for j, _ in self.index):
            j = len(states)
            acc = None
            while k < len(self.index) and self.index[k][0] == j:
                y = self.edges[k](states[self.index[k][1]])
                acc = y if acc is None else acc + y
                k += 1
            states.append(acc)
        return states[-1]


class ResidualReduction(nn.Module):
    """NAS-Bench-201's reduction: ReLU-Conv-BN 3x3/2 -> ReLU-Conv-BN 3x3, plus avgpool+1x1 shortcut."""

    def __init__(self, c_in, c_out):
        super().__init__()
        self.conv_a = ReLUConvBN(c_in, c_out, 3, 2, 1)
        self.conv_b = ReLUConvBN(c_out, c_out, 3, 1, 1)
        self.downsample = nn.Sequential(nn.AvgPool2d(2, 2, 0), nn.Conv2d(c_in, c_out, 1, bias=False))

    def forward(self, x):
        return self.downsample(x) + self.conv_b(self.conv_a(x))


def nb201_skeleton(net: nn.Module, channels: int, cells_per_stage: int, num_classes: int, in_channels: int,
                   make_cell) -> None:
    """Give `net` the benchmark's stem, 3 stages of `make_cell(c)` with residual reductions, and head
    (shared by the network and the ENAS supernet, whose cells hold every op)."""
    c = int(channels)
    net.stem = nn.Sequential(nn.Conv2d(in_channels, c, 3, padding=1, bias=False), nn.BatchNorm2d(c))
    layers = []
    for stage in range(3):
        if stage > 0:
            layers.append(ResidualReduction(c, 2 * c))
            c *= 2
        layers.extend(make_cell(c) for _ in range(int(cells_per_stage)))
    net.cells = nn.Sequential(*layers)
    net.lastact = nn.Sequential(nn.BatchNorm2d(c), nn.ReLU(inplace=True))
    net.pool = nn.AdaptiveAvgPool2d(1)
    net.classifier = nn.Linear(c, num_classes)


class NB201Network(nn.Module):
    def __init__(self, nodes, channels: int, cells_per_stage: int, num_classes: int, in_channels: int, make_op):
        super().__init__()
        nb201_skeleton(self, channels, cells_per_stage, num_classes, in_channels,
                       lambda c: NB201Cell(nodes, c, make_op))

    def forward(self, x):
        x = self.lastact(self.cells(self.stem(x)))
        return self.classifier(torch.flatten(self.pool(x), 1))
