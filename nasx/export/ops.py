"""Op emitters: one per primitive op, turning an op name into the constructor call the engine makes.

`create_op(name, c, c, stride)` picks a module by name at run time; exported code spells out that
module instead (`SepConv(c, c, 3, 2)`), so each op needs an emitter saying which expression and
which vendored classes it stands for. An op without an emitter cannot be exported (and says so);
the round-trip check catches an emitter that drifts from its op.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..errors import GenotypeError
from ..registry import Registry
from .safety import bounded_int, op_name

OPS_MODULE = "nasx.ops"
BLOCKS_MODULE = "nasx.blocks"


@dataclass(frozen=True)
class OpCode:
    """The constructor expression (reading channels from a variable `c`) and what it needs."""

    expr: str
    needs: tuple[tuple[str, str], ...] = ()


OpEmitter = Callable[[int], OpCode]  # stride -> code, for an op mapping c channels to c channels
OP_EMITTERS: Registry[OpEmitter] = Registry("op emitter")


def register_op_emitter(name: str):
    """Decorator: the emitter of op `name` (a taken name is a DuplicateName naming both modules)."""
    def deco(fn: OpEmitter) -> OpEmitter:
        return OP_EMITTERS.add(op_name(name), fn)
    return deco


def emit_op(name: str, stride: int) -> OpCode:
    op_name(name)
    if name not in OP_EMITTERS:
        raise GenotypeError(f"op {name!r} has no code emitter (nasx.export.ops.register_op_emitter)")
    return OP_EMITTERS[name](bounded_int(stride, "stride", 1, 2))


def _ops(*names: str) -> tuple[tuple[str, str], ...]:
    return tuple((OPS_MODULE, n) for n in names)


def _identity(s: int) -> OpCode:
    return OpCode("nn.Identity()") if s == 1 else OpCode("FactorizedReduce(c, c)", _ops("FactorizedReduce"))


def _relu_conv_bn(k: int):
    return lambda s: OpCode(f"ReLUConvBN(c, c, {k}, {s}, {k // 2})", _ops("ReLUConvBN"))


def _factorized(k: int):
    return lambda s: OpCode(f"FactorizedConv(c, c, {k}, {s})", _ops("FactorizedConv"))


def _sep(k: int, dilation: int = 1):
    extra = f", dilation={dilation}" if dilation != 1 else ""
    return lambda s: OpCode(f"SepConv(c, c, {k}, {s}{extra})", _ops("SepConv"))


def _stacked_sep(k: int):
    return lambda s: OpCode(f"StackedSepConv(c, c, {k}, {s})", _ops("StackedSepConv", "SepConv"))


def _pool(kind: str, k: int):
    return lambda s: OpCode(f'Pool("{kind}", {k}, c, c, {s})', _ops("Pool"))


for _n in ("identity", "skip_connect"):
    register_op_emitter(_n)(_identity)
register_op_emitter("none")(lambda s: OpCode(f"Zero(c, c, {s})", _ops("Zero")))
register_op_emitter("conv_1x3_3x1")(_factorized(3))
register_op_emitter("conv_1x7_7x1")(_factorized(7))
register_op_emitter("dil_conv_3x3")(_sep(3, 2))
register_op_emitter("dil_conv_5x5")(_sep(5, 2))
register_op_emitter("avg_pool_3x3")(_pool("avg", 3))
for _k in (3, 5, 7):
    register_op_emitter(f"max_pool_{_k}x{_k}")(_pool("max", _k))
    register_op_emitter(f"sep_conv_{_k}x{_k}")(_stacked_sep(_k))
    register_op_emitter(f"sep_conv_{_k}x{_k}_single")(_sep(_k))
for _n, _k in (("conv_1x1", 1), ("conv_3x3", 3), ("conv_5x5", 5), ("nor_conv_1x1", 1), ("nor_conv_3x3", 3)):
    register_op_emitter(_n)(_relu_conv_bn(_k))
register_op_emitter("inception")(
    lambda s: OpCode(f"_inception_op(c, c, {s}, True)", ((BLOCKS_MODULE, "_inception_op"),)))
register_op_emitter("residual")(lambda s: OpCode(f"BasicBlock(c, c, {s})", ((BLOCKS_MODULE, "BasicBlock"),)))
register_op_emitter("bottleneck")(
    lambda s: OpCode(f"Bottleneck(c, max(1, c // 4), c, {s})", ((BLOCKS_MODULE, "Bottleneck"),)))
