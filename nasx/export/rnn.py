"""Recurrent-cell space -> source: the engine's own language model (`nasx.spaces.rnn_network`), vendored,
with the cell (node activations and predecessors, the averaged nodes) and the network settings as
literals. Activations pass an allow-list, integers `bounded_int`, probabilities a range check: nothing
unvalidated reaches the text. The generated `build()` takes the vocabulary size as `num_classes`."""

from __future__ import annotations

from ..errors import NasxError
from ..genotype import Genotype
from .codegen import class_name, register_space_emitter
from .generated import Generated
from .safety import MAX_CHANNELS, bounded_int, literal, op_name

_DROPOUTS = ("dropout", "dropouth", "dropoutx", "dropouti", "dropoute")


def _probability(value, what: str, low_open: bool = False) -> float:
    """A float in [0, 1) (dropouts) or (0, 1] (`low_open`: the init range), as a plain literal."""
    ok = not isinstance(value, bool) and isinstance(value, (int, float))
    if ok:
        value = float(value)
        ok = (0.0 < value <= 1.0) if low_open else (0.0 <= value < 1.0)
    if not ok:
        raise NasxError(f"cannot export: {what} {value!r} is out of range")
    return value


def _activation(name) -> str:
    from ..spaces.rnn_network import RNN_ACTIVATIONS

    if name not in RNN_ACTIVATIONS:
        raise NasxError(f"cannot export: activation {name!r} is not one of {', '.join(RNN_ACTIVATIONS)}")
    return op_name(name)


@register_space_emitter("rnn_cell")
def emit_rnn_cell(space, genotype: Genotype) -> Generated:
    s = space.settings
    rec = genotype.data["recurrent"]
    n = bounded_int(len(rec), "nodes", 1, 64)
    cell = [[_activation(act), bounded_int(pred, "predecessor", 0, i - 1)] for i, (act, pred) in enumerate(rec, 1)]
    concat = [bounded_int(i, "averaged node", 1, n) for i in space.concat(genotype)]
    embedding = bounded_int(s.embedding, "embedding", 1, MAX_CHANNELS)
    size = bounded_int(s.hidden, "hidden", 1, MAX_CHANNELS)
    if not isinstance(s.tied, bool):
        raise NasxError(f"cannot export: tied {s.tied!r} is not true or false")
    if s.tied and embedding != size:
        raise NasxError(f"cannot export: embedding {embedding} differs from hidden {size} (tied weights)")
    kwargs = [f"embedding={embedding}", f"hidden={size}", f"tied={s.tied!r}"]
    kwargs += [f"{k}={literal(_probability(getattr(s, k), k))}" for k in _DROPOUTS]
    kwargs.append(f"init_range={literal(_probability(s.init_range, 'init_range', low_open=True))}")
    decoder = "tied" if s.tied else "untied"
    name = class_name(space.name, genotype, "LM")
    rows = "\n".join(f"        {node!r},  # node {i}" for i, node in enumerate(cell, start=1))
    code = f'''class {name}(RecurrentCellLM):
    """Language model around a recurrent cell found by nasx: DARTS's RNNModel ({decoder} embedding and
    decoder, variational dropouts) with {n} nodes after the highway node 0. `RECURRENT[i-1]` =
    [activation, predecessor] of node i; the cell output is the mean of the nodes in `CONCAT`.
    forward(tokens (N, T), hidden=None) -> (logits (N, T, vocabulary), hidden (1, N, {size}))."""

    RECURRENT = [
{rows}
    ]
    CONCAT = {concat!r}

    def __init__(self, num_classes: int = NUM_CLASSES):
        super().__init__(num_classes, self.RECURRENT, self.CONCAT,
                         {", ".join(kwargs[:3])},
                         {", ".join(kwargs[3:])})
'''
    return Generated(name, code, [("nasx.spaces.rnn_network", "RecurrentCellLM")],
                     build_args="num_classes: int = NUM_CLASSES", build_call="num_classes")
