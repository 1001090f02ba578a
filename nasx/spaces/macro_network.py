"""The ENAS macro chain network (Pham et al. 2018), one builder for engine, supernet and export.

`nasx export` copies these definitions into model.py verbatim (nasx.export.vendor) and passes a
`make_op` that spells out the chain's ops; the engine passes its op registry, and the ENAS supernet
reuses the reductions and `macro_forward`. So the three cannot drift. Only torch and nasx.ops'
building blocks are read here.

Layer i reads layer i-1 (the stem for i = 0), applies its op, adds the outputs of the earlier layers
it skips from, and batch-normalizes the sum. After each layer in `points` every earlier output is
halved in resolution (factorized reduce) and the channels double, so skips can cross a reduction.
Final training (the cell work's protocol): drop-path (`drop_path_prob`, set by the trainer per
epoch) zeroes a layer's op output per sample in training, and the optional auxiliary head (DARTS's
CIFAR head, as in `cell_network`) reads the output of the last reduction in training mode, like the
reference's aux head after its last pooling layer.
"""

from __future__ import annotations

import torch
from torch import nn

from ..ops import FactorizedReduce
from .cell_network import AuxiliaryHead, drop_path


def macro_widths(channels: int, layers: int, points) -> list[int]:
    """Channels of each layer: `channels`, doubled after every reduction point."""
    c, out = int(channels), []
    for i in range(int(layers)):
        out.append(c)
        if i in points:
            c *= 2
    return out


class MacroReductions(nn.ModuleList):
    """One factorized reduce per earlier layer output at each reduction point: `[point][layer]`."""

    def __init__(self, channels: int, points):
        super().__init__()
        c = int(channels)
        for i in sorted(points):
            self.append(nn.ModuleList(FactorizedReduce(c, 2 * c) for _ in range(i + 1)))
            c *= 2


def macro_forward(net: nn.Module, x: torch.Tensor, layer_fn, tap=None) -> torch.Tensor:
    """The chain shared by the standalone network and the supernet: `layer_fn(i, h, outs) -> out_i`;
    `tap(i, h)`, if given, sees each layer's output (after its reduction, if any)."""
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
        if tap is not None:
            tap(i, h)
    return net.classifier(torch.flatten(net.pool(h), 1))


class MacroLayer(nn.Module):
    """One layer of the chain: its op on the previous output, plus its skip inputs, then BN."""

    def __init__(self, op: nn.Module, c: int, skips):
        super().__init__()
        self.op = op
        self.bn = nn.BatchNorm2d(c)
        self.skips = [int(j) for j in skips]

    def forward(self, h, outs, drop_prob: float = 0.0):
        y = self.op(h)
        if self.training and drop_prob > 0.0:
            y = drop_path(y, drop_prob)
        for j in self.skips:
            y = y + outs[j]
        return self.bn(y)


class MacroNetwork(nn.Module):
    """`layers` = [[op, [skip sources]], ...]; reductions after the layer indices in `points`;
    `auxiliary`: the auxiliary head on the last reduction's output (training mode only)."""

    def __init__(self, layers, channels: int, points, num_classes: int, in_channels: int, make_op,
                 auxiliary: bool = False, input_side: int = 32):
        super().__init__()
        points = sorted(int(i) for i in points)
        widths = macro_widths(channels, len(layers), points)
        self.stem = nn.Sequential(nn.Conv2d(in_channels, widths[0], 3, padding=1, bias=False),
                                  nn.BatchNorm2d(widths[0]))
        self.reductions = MacroReductions(channels, points)
        self.points = {i: k for k, i in enumerate(points)}
        self.layers = nn.ModuleList(MacroLayer(make_op(op, widths[i], 1), widths[i], skips)
                                    for i, (op, skips) in enumerate(layers))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(widths[-1], num_classes)
        self.drop_path_prob = 0.0
        self.aux_at = points[-1] if auxiliary and points else -1
        if self.aux_at >= 0:
            side = int(input_side)
            for _ in points:
                side = (side + 1) // 2
            self.auxiliary_head = AuxiliaryHead(2 * widths[self.aux_at], num_classes, side)

    def forward(self, x):
        aux = []

        def tap(i, h):
            if i == self.aux_at and self.training:
                aux.append(self.auxiliary_head(h))

        logits = macro_forward(self, x, lambda i, h, outs: self.layers[i](h, outs, self.drop_path_prob), tap)
        return (logits, aux[0]) if aux else logits
