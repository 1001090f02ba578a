"""ENAS macro space -> source: the chain of layers written out, one line per layer.

Mirrors nasx.spaces.macro.MacroNetwork attribute by attribute (stem, reductions, layers, pool,
classifier), so the engine's state_dict loads strictly; the round-trip check guards the mirror.
"""

from __future__ import annotations

from ..genotype import Genotype
from .codegen import Generated, _channels, _needs, class_name, register_space_emitter
from .ops import emit_op
from .safety import bounded_int, op_name

LAYER = '''class MacroLayer(nn.Module):
    """One layer of the chain: its op on the previous output, plus its skip inputs, then BN."""

    def __init__(self, op: nn.Module, c: int, skips: list):
        super().__init__()
        self.op = op
        self.bn = nn.BatchNorm2d(c)
        self.skips = list(skips)

    def forward(self, h, outs):
        y = self.op(h)
        for j in self.skips:
            y = y + outs[j]
        return self.bn(y)
'''


@register_space_emitter("macro")
def emit_macro(space, genotype: Genotype) -> Generated:
    s = space.settings
    layers = genotype.data["layers"]
    n = bounded_int(len(layers), "layers", 1, 64)
    points = [bounded_int(i, "reduction index", 0, n - 2) for i in s.reductions()]
    c = _channels(s)
    widths, red_lines = [], []
    for i in range(n):
        widths.append(c)
        if i in points:
            red_lines.append(f"            nn.ModuleList([FactorizedReduce({c}, {2 * c}) for _ in range({i + 1})]),")
            c *= 2
    codes, layer_lines = [], []
    for i, (op, skips) in enumerate(layers):
        skips = [bounded_int(j, "skip source", 0, i - 1) for j in skips]
        code = emit_op(op_name(op), 1)
        codes.append(code)
        layer_lines.append(f"        c = {widths[i]}\n        self.layers.append(MacroLayer({code.expr}, c, {skips!r}))"
                           f"  # layer {i}: {op}")
    name = class_name(space.name, genotype, "Net")
    point_map = {i: k for k, i in enumerate(points)}
    net = f'''class {name}(nn.Module):
    """ENAS macro chain of {n} layers; after layers {points} every earlier output is halved (factorized
    reduce) and the channels double."""

    POINTS = {point_map!r}

    def __init__(self, num_classes: int = NUM_CLASSES, in_channels: int = IN_CHANNELS):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(in_channels, {widths[0]}, 3, padding=1, bias=False),
                                  nn.BatchNorm2d({widths[0]}))
        self.reductions = nn.ModuleList([
{chr(10).join(red_lines)}
        ])
        self.layers = nn.ModuleList()
{chr(10).join(layer_lines)}
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear({c}, num_classes)

    def forward(self, x):
        h = self.stem(x)
        outs = []
        for i, layer in enumerate(self.layers):
            h = layer(h, outs)
            outs.append(h)
            if i in self.POINTS:
                red = self.reductions[self.POINTS[i]]
                outs = [red[j](o) for j, o in enumerate(outs)]
                h = outs[-1]
        return self.classifier(torch.flatten(self.pool(h), 1))
'''
    needs = [("nasx.ops", "FactorizedReduce")] + _needs(codes)
    return Generated(name, LAYER + "\n\n" + net, list(dict.fromkeys(needs)))
