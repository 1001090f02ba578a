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
from pathlib import PurePath

from ..errors import NasxError
from ..genotype import Genotype
from ..registry import Registry
from .generated import Generated
from .ops import emit_op
from .safety import MAX_CHANNELS, bounded_int, identifier, literal, op_name, safe_text

SpaceEmitter = Callable[[object, Genotype], Generated]
SPACE_EMITTERS: Registry[SpaceEmitter] = Registry("space emitter")


def register_space_emitter(kind: str):
    """Register the emitter of a space kind's source (a taken kind is a DuplicateName)."""
    return SPACE_EMITTERS.register(kind)


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


_OPS_TABLE = '''_OPS = {{
{entries}
}}


def make_op(name: str, c: int, stride: int) -> nn.Module:
    """The ops this architecture uses, spelled out (the engine looks them up in its registry)."""
    return _OPS[(name, stride)](c)
'''


def _op_table(ops, strides) -> tuple[list, list[str]]:
    """The emitted code of each (op, stride) and its `_OPS` table line, for `make_op(name, c, stride)`."""
    codes, entries = [], []
    for op in ops:
        for stride in strides:
            code = emit_op(op_name(op), stride)
            codes.append(code)
            entries.append(f"    ({op!r}, {stride}): lambda c: {code.expr},")
    return codes, entries


# ---------------------------------------------------------------- cells (NASNet / PNAS)

@register_space_emitter("cells")
def emit_cells(space, genotype: Genotype) -> Generated:
    """The engine's own builder (`nasx.spaces.cell_network`), vendored, with the genotype and the
    settings as JSON literals and a `make_op` that spells out each op the genotype uses."""
    import json

    from ..spaces.cell_network import SKELETONS

    s = space.settings.as_dict()
    for key, high in (("channels", MAX_CHANNELS), ("stages", 6), ("cells_per_stage", 64), ("cells", 1000),
                      ("stem_multiplier", 16), ("stem_channels", MAX_CHANNELS)):
        bounded_int(s[key], key, 0 if key in ("cells", "stem_channels") else 1, high)
    if s["skeleton"] not in SKELETONS or not isinstance(s["auxiliary"], bool):
        raise NasxError(f"cannot export: skeleton {s['skeleton']!r} / auxiliary {s['auxiliary']!r} out of range")
    d = genotype.data
    used = sorted({op_name(b[k]) for cell in ("normal", "reduce") for b in d.get(cell, []) for k in (1, 3)})
    codes, entries = _op_table(used, strides=(1, 2))
    name = class_name(space.name, genotype, "Net")
    genotype_text = literal(json.dumps(d, sort_keys=True))
    settings_text = literal(json.dumps(s, sort_keys=True))
    code = f'''{_OPS_TABLE.format(entries=chr(10).join(entries))}

class {name}(CellNetwork):
    """A cell network found by nasx: `cell_network` applied to the genotype and settings below."""

    GENOTYPE = {genotype_text}
    SETTINGS = {settings_text}

    def __init__(self, num_classes: int = NUM_CLASSES, input_size: tuple = INPUT_SIZE):
        nn.Module.__init__(self)
        built = cell_network(json.loads(self.GENOTYPE), num_classes, tuple(input_size), json.loads(self.SETTINGS),
                             make_op)
        self.__dict__.update(built.__dict__)  # adopt its layers: same attribute names, same state_dict keys
'''
    needs = [("nasx.spaces.cell_network", "cell_network"), ("nasx.spaces.cell_network", "CellNetwork")] + _needs(codes)
    return Generated(name, code, list(dict.fromkeys(needs)),
                     build_args="num_classes: int = NUM_CLASSES, input_size: tuple = INPUT_SIZE",
                     build_call="num_classes, input_size", extra_imports=["import json"])


# ---------------------------------------------------------------- NAS-Bench-201

@register_space_emitter("nb201")
def emit_nb201(space, genotype: Genotype) -> Generated:
    """The engine's own builder (`nasx.spaces.nb201_network`), vendored, with the parsed cell as a
    literal and a `make_op` that spells out each op the cell uses."""
    from ..spaces.nb201 import parse_arch

    s = space.settings
    nodes = parse_arch(genotype.data["arch"], s.nodes, s.ops)
    c = _channels(s)
    per_stage = bounded_int(s.cells_per_stage, "cells_per_stage", 1, 64)
    for j, node in enumerate(nodes, start=1):
        for _, i in node:
            bounded_int(i, "edge source", 0, j - 1)
    codes, entries = _op_table(sorted({op_name(op) for node in nodes for op, _ in node}), strides=(1,))
    name = class_name(space.name, genotype)
    cell = [[[op_name(op), i] for op, i in node] for node in nodes]
    code = f'''{_OPS_TABLE.format(entries=chr(10).join(entries))}

class {name}(NB201Network):
    """NAS-Bench-201 network, {c} channels, 3 stages of {per_stage} cells, each the cell
    {safe_text(genotype.data["arch"])}
    (`NODES[j-1]` lists node j's edges as [op, source node])."""

    NODES = {cell!r}

    def __init__(self, num_classes: int = NUM_CLASSES, in_channels: int = IN_CHANNELS):
        super().__init__(self.NODES, {c}, {per_stage}, num_classes, in_channels, make_op)
'''
    needs = [("nasx.spaces.nb201_network", "NB201Network")] + _needs(codes)
    return Generated(name, code, list(dict.fromkeys(needs)))
