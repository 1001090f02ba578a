"""Family spaces (resnet / inception / mobile) -> source: their network builder, vendored.

Each family kind builds through one top-level function of plain values
(`<kind>_network(description, num_classes, input_size, width_scale)`), so the export copies that
function with the definitions it reads (like a zoo export) and embeds the validated genotype as a
JSON string literal that the generated class parses with the standard library.
"""

from __future__ import annotations

import json

import torch

from ..genotype import Genotype
from .codegen import class_name, register_space_emitter
from .generated import Generated
from .safety import literal
from .zoo import _root_type

_BUILDERS = {
    "resnet": ("nasx.spaces.resnet_family", "resnet_network"),
    "inception": ("nasx.spaces.inception_family", "inception_network"),
    "mobile": ("nasx.spaces.mobile_family", "mobile_network"),
}


def emit_family(space, genotype: Genotype) -> Generated:
    module, fn = _BUILDERS[space.kind]
    with torch.device("meta"):
        root, root_need = _root_type(space.build(genotype, 10, (3, 32, 32)))
    cls = class_name(space.name, genotype)
    description = literal(json.dumps(genotype.data, sort_keys=True))  # a validated, canonical genotype
    width_scale = literal(float(space.settings.width_scale))
    code = f'''class {cls}({root}):
    """A {space.kind}-family network found by nasx: `{fn}` applied to the genotype below."""

    GENOTYPE = {description}

    def __init__(self, num_classes: int = NUM_CLASSES, input_size: tuple = INPUT_SIZE):
        nn.Module.__init__(self)
        built = {fn}(json.loads(self.GENOTYPE), num_classes, tuple(input_size), {width_scale})
        self.__dict__.update(built.__dict__)  # adopt its layers: same attribute names, same state_dict keys
'''
    needs = [(module, fn)] + ([root_need] if root_need else [])
    return Generated(cls, code, needs, build_args="num_classes: int = NUM_CLASSES, input_size: tuple = INPUT_SIZE",
                     build_call="num_classes, input_size", extra_imports=["import json"])


for _kind in _BUILDERS:
    register_space_emitter(_kind)(emit_family)
