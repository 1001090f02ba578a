"""ENAS macro space -> source: the engine's own chain builder (`nasx.spaces.macro_network`), vendored,
with the layers as a literal and a `make_op` that spells out each op the chain uses."""

from __future__ import annotations

from ..genotype import Genotype
from .codegen import _OPS_TABLE, _channels, _needs, _op_table, class_name, register_space_emitter
from .generated import Generated
from .safety import bounded_int, op_name


@register_space_emitter("macro")
def emit_macro(space, genotype: Genotype) -> Generated:
    s = space.settings
    layers = genotype.data["layers"]
    n = bounded_int(len(layers), "layers", 1, 64)
    points = [bounded_int(i, "reduction index", 0, n - 2) for i in s.reductions()]
    c = _channels(s)
    chain = [[op_name(op), [bounded_int(j, "skip source", 0, i - 1) for j in skips]]
             for i, (op, skips) in enumerate(layers)]
    codes, entries = _op_table(sorted({op for op, _ in chain}), strides=(1,))
    name = class_name(space.name, genotype, "Net")
    rows = "\n".join(f"        {layer!r},  # layer {i}" for i, layer in enumerate(chain))
    aux = ", auxiliary=True, input_side=min(INPUT_SIZE[1:])" if s.auxiliary is True else ""
    code = f'''{_OPS_TABLE.format(entries=chr(10).join(entries))}

class {name}(MacroNetwork):
    """ENAS macro chain of {n} layers at {c} channels; after layers {points} every earlier output is
    halved (factorized reduce) and the channels double. `LAYERS[i]` = [op, [skip sources]]."""

    LAYERS = [
{rows}
    ]

    def __init__(self, num_classes: int = NUM_CLASSES, in_channels: int = IN_CHANNELS):
        super().__init__(self.LAYERS, {c}, {points!r}, num_classes, in_channels, make_op{aux})
'''
    needs = [("nasx.spaces.macro_network", "MacroNetwork")] + _needs(codes)
    return Generated(name, code, list(dict.fromkeys(needs)))
