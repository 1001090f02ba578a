"""Zoo model -> PyTorch source: the family's own builder and definitions, vendored verbatim.

A zoo builder (`imagenet_resnet(num_classes, input_size, block=..., depths=...)`) already is the
readable description of its network, so the export copies it with exactly the definitions it
reads and none of the registry code, and adds a class named after the model whose constructor
calls the builder and adopts the built layers (same attribute names, so the same state_dict keys).
"""

from __future__ import annotations

import re

from torch import nn

from ..errors import NasxError
from .generated import Generated
from .safety import identifier, literal


def model_class_name(name: str) -> str:
    """`resnet18` -> `Resnet18`, `inception_v3` -> `InceptionV3`, `resnext50_32x4d` -> `Resnext50_32x4d`."""
    out = ""
    for part in re.sub(r"[^a-z0-9_]", "", name.lower()).split("_"):
        if not part:
            continue
        out += ("_" if out and part[0].isdigit() else "") + part.capitalize()
    if not out or out[0].isdigit():
        out = "Model" + out
    return identifier(out, "class name")


def _root_type(model: nn.Module) -> tuple[str, tuple[str, str] | None]:
    """How generated code names the root module's class: `nn.X` or a vendored class."""
    cls = type(model)
    if cls.__module__.startswith("torch.nn") and getattr(nn, cls.__name__, None) is cls:
        return f"nn.{cls.__name__}", None
    if cls.__module__.startswith("nasx.") and "." not in cls.__qualname__:
        return cls.__name__, (cls.__module__, cls.__name__)
    raise NasxError(f"cannot export: the network's class {cls.__module__}.{cls.__qualname__} is not vendorable")


def emit_zoo(name: str, model: nn.Module) -> Generated:
    """Source for zoo model `name` (`model` is one built instance, used for its root class)."""
    from ..zoo import get_spec

    spec = get_spec(name)
    builder = spec.builder
    if builder.__name__ != builder.__qualname__ or builder.__name__ == "<lambda>":
        raise NasxError(f"cannot export zoo model {name!r}: its builder is not a top-level function")
    identifier(builder.__name__, "builder name")
    kwargs = "".join(f", {identifier(k, 'builder keyword')}={literal(v)}" for k, v in spec.kwargs.items())
    base, base_need = _root_type(model)
    cls = model_class_name(name)
    needs = [(builder.__module__, builder.__name__)] + ([base_need] if base_need else [])
    code = f'''class {cls}({base}):
    """{name} from the nasx zoo: the network `{builder.__name__}` builds, as its own class."""

    def __init__(self, num_classes: int = NUM_CLASSES, input_size: tuple = INPUT_SIZE):
        nn.Module.__init__(self)
        built = {builder.__name__}(num_classes=num_classes, input_size=tuple(input_size){kwargs})
        self.__dict__.update(built.__dict__)  # adopt its layers: same attribute names, same state_dict keys
'''
    return Generated(cls, code, needs, build_args="num_classes: int = NUM_CLASSES, input_size: tuple = INPUT_SIZE",
                     build_call="num_classes, input_size")
