"""`Generated`: the source of one network as an emitter returns it, for `render` to assemble.

Every emitter (genotype spaces in `codegen`, `family`, `macro`; zoo models in `zoo`) returns one, so
they share this module and `safety`, never each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Generated:
    """Source of a network: class name, its code, the vendored definitions it needs, build()'s call."""

    class_name: str
    code: str
    needs: list[tuple[str, str]] = field(default_factory=list)
    build_args: str = "num_classes: int = NUM_CLASSES, in_channels: int = IN_CHANNELS"
    build_call: str = "num_classes, in_channels"
    extra_imports: list[str] = field(default_factory=list)
