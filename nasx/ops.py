"""The primitive-op registry: every op a search space may place on an edge, behind `create_op`.

Convention: conv ops are ReLU-Conv-BN (pre-activation, as in NASNet/PNAS/DARTS and NAS-Bench-201),
so a cell's sum of op outputs is un-rectified and the next op rectifies it. Every op accepts any
`c_in`, `c_out` and a stride of 1 or 2; pooling and identity ops add a 1x1 ReLU-Conv-BN projection
(or a factorized reduce) only when the shape actually changes.

`sep_conv_KxK` is the published NAS op (NASNet, PNAS, AmoebaNet, DARTS, ENAS micro): ReLU-depthwise-
pointwise-BN stacked twice, the first with the stride (DARTS `operations.SepConv`). Until ops
version 2 it was stacked once; that op lives on as `sep_conv_KxK_single`, and runs journaled before
version 2 read their `sep_conv_KxK` as `sep_conv_KxK_single` (LEGACY_V1), so old weights still load.
`dil_conv_KxK` is stacked once, as in DARTS.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from .errors import GenotypeError
from .registry import Registry

OPS_VERSION = 2  # journaled with every trial: what the op names meant when it was trained
# ops whose meaning changed in version 2 -> the op that means what they meant in version 1
LEGACY_V1 = {f"sep_conv_{k}x{k}": f"sep_conv_{k}x{k}_single" for k in (3, 5, 7)}
_MODERN = {v: k for k, v in LEGACY_V1.items()}

OpFactory = Callable[[int, int, int, bool], nn.Module]


@dataclass(frozen=True)
class Op:
    """A registered op: its factory and a one-line description."""

    factory: OpFactory
    doc: str = ""


OPS: Registry[Op] = Registry("op")


def register_op(name: str, doc: str = "") -> Callable[[OpFactory], OpFactory]:
    """Register `fn(c_in, c_out, stride, affine) -> nn.Module` under `name` (a taken name is a
    DuplicateName naming both modules)."""

    def deco(fn: OpFactory) -> OpFactory:
        OPS.add(name, Op(fn, doc or ((fn.__doc__ or "").strip().splitlines() or [""])[0]),
                origin=getattr(fn, "__module__", None))
        return fn

    return deco


def op_names() -> list[str]:
    return list(OPS)


def op_doc(name: str) -> str:
    op = OPS.get(name)
    return op.doc if op is not None else ""


def has_op(name: str) -> bool:
    return name in OPS


def op_allowed(name: str, space_ops) -> bool:
    """`name` may appear in a genotype of a space with `space_ops`: listed, or the legacy (version 1)
    form of a listed op, so runs trained before a change of meaning stay readable."""
    return name in space_ops or _MODERN.get(name) in space_ops


def legacy_ops_v1(obj):
    """A genotype description with every op renamed to what it meant in ops version 1."""
    if isinstance(obj, str):
        return LEGACY_V1.get(obj, obj)
    if isinstance(obj, list):
        return [legacy_ops_v1(v) for v in obj]
    if isinstance(obj, dict):
        return {k: legacy_ops_v1(v) for k, v in obj.items()}
    return obj


def create_op(name: str, c_in: int, c_out: int, stride: int = 1, affine: bool = True) -> nn.Module:
    """Build primitive `name` mapping (N, c_in, H, W) -> (N, c_out, ceil(H/stride), ceil(W/stride))."""
    if name not in OPS:
        raise GenotypeError(f"unknown op {name!r}; known ops: {', '.join(OPS)}")
    if stride not in (1, 2):
        raise GenotypeError(f"op {name!r}: stride must be 1 or 2, got {stride}")
    if c_in < 1 or c_out < 1:
        raise GenotypeError(f"op {name!r}: channel counts must be positive, got {c_in}->{c_out}")
    return OPS[name].factory(c_in, c_out, stride, affine)


def make_op(name: str, c: int, stride: int) -> nn.Module:
    """`create_op` at equal widths: the `make_op(name, c, stride)` the network builders of
    nasx.spaces take (exported model.py passes its own, spelled-out table instead)."""
    return create_op(name, c, c, stride)


# ---------------------------------------------------------------- building blocks


class ReLUConvBN(nn.Sequential):
    """ReLU -> Conv(k, stride, pad, dilation) -> BN."""

    def __init__(self, c_in, c_out, kernel, stride, padding, dilation=1, affine=True):
        super().__init__(
            nn.ReLU(inplace=False),
            nn.Conv2d(c_in, c_out, kernel, stride, padding, dilation=dilation, bias=False),
            nn.BatchNorm2d(c_out, affine=affine),
        )


class FactorizedConv(nn.Sequential):
    """ReLU -> Conv(1xk, stride (1,s)) -> Conv(kx1, stride (s,1)) -> BN: a kxk receptive field cheaply."""

    def __init__(self, c_in, c_out, k, stride, affine=True):
        p = k // 2
        super().__init__(
            nn.ReLU(inplace=False),
            nn.Conv2d(c_in, c_out, (1, k), (1, stride), (0, p), bias=False),
            nn.Conv2d(c_out, c_out, (k, 1), (stride, 1), (p, 0), bias=False),
            nn.BatchNorm2d(c_out, affine=affine),
        )


class SepConv(nn.Sequential):
    """ReLU -> depthwise kxk (optionally dilated) -> pointwise 1x1 -> BN."""

    def __init__(self, c_in, c_out, k, stride, dilation=1, affine=True):
        pad = dilation * (k - 1) // 2
        super().__init__(
            nn.ReLU(inplace=False),
            nn.Conv2d(c_in, c_in, k, stride, pad, dilation=dilation, groups=c_in, bias=False),
            nn.Conv2d(c_in, c_out, 1, bias=False),
            nn.BatchNorm2d(c_out, affine=affine),
        )


class StackedSepConv(nn.Sequential):
    """The published separable conv: SepConv(stride) then SepConv(1), c_in channels in between."""

    def __init__(self, c_in, c_out, k, stride, affine=True):
        super().__init__(SepConv(c_in, c_in, k, stride, affine=affine), SepConv(c_in, c_out, k, 1, affine=affine))


class FactorizedReduce(nn.Module):
    """Halve the resolution without losing half the pixels: two offset strided 1x1 convs, concatenated."""

    def __init__(self, c_in, c_out, affine=True):
        super().__init__()
        a = c_out // 2
        self.relu = nn.ReLU(inplace=False)
        self.conv_1 = nn.Conv2d(c_in, a, 1, 2, bias=False)
        self.conv_2 = nn.Conv2d(c_in, c_out - a, 1, 2, bias=False)
        self.bn = nn.BatchNorm2d(c_out, affine=affine)

    def forward(self, x):
        x = self.relu(x)
        y = x[:, :, 1:, 1:]
        if y.shape[-1] == 0 or y.shape[-2] == 0:
            y = x
        a = self.conv_1(x)
        b = self.conv_2(y)
        if b.shape[-2:] != a.shape[-2:]:  # odd sizes: pad the offset branch back to a's size
            b = nn.functional.pad(b, (0, a.shape[-1] - b.shape[-1], 0, a.shape[-2] - b.shape[-2]))
        return self.bn(torch.cat([a, b], dim=1))


class Zero(nn.Module):
    """The NAS-Bench-201 `none` op: an edge that carries nothing (zeros of the output shape)."""

    def __init__(self, c_in, c_out, stride):
        super().__init__()
        self.c_out, self.stride = c_out, stride

    def forward(self, x):
        if self.stride != 1:
            x = x[:, :, :: self.stride, :: self.stride]
        if x.shape[1] != self.c_out:
            shape = list(x.shape)
            shape[1] = self.c_out
            return x.new_zeros(shape)
        return x.mul(0.0)


class Pool(nn.Module):
    """Avg/max pooling, with a 1x1 ReLU-Conv-BN projection when the channel count changes."""

    def __init__(self, kind, k, c_in, c_out, stride, affine=True):
        super().__init__()
        self.proj = None if c_in == c_out else ReLUConvBN(c_in, c_out, 1, 1, 0, affine=affine)
        if kind == "avg":
            self.pool = nn.AvgPool2d(k, stride, k // 2, count_include_pad=False)
        else:
            self.pool = nn.MaxPool2d(k, stride, k // 2)

    def forward(self, x):
        if self.proj is not None:
            x = self.proj(x)
        return self.pool(x)


def _identity(c_in, c_out, stride, affine):
    if stride == 1 and c_in == c_out:
        return nn.Identity()
    if stride == 2:
        return FactorizedReduce(c_in, c_out, affine)
    return ReLUConvBN(c_in, c_out, 1, 1, 0, affine=affine)


# ---------------------------------------------------------------- the registry

register_op("identity", "identity (factorized reduce / 1x1 projection when the shape changes)")(_identity)
register_op("skip_connect", "NAS-Bench-201 skip: identity, factorized reduce when strided")(_identity)
register_op("none", "NAS-Bench-201 none: zeros")(lambda ci, co, s, a: Zero(ci, co, s))
register_op("conv_1x3_3x1", "1x3 then 3x1 conv")(lambda ci, co, s, a: FactorizedConv(ci, co, 3, s, a))
register_op("conv_1x7_7x1", "1x7 then 7x1 conv")(lambda ci, co, s, a: FactorizedConv(ci, co, 7, s, a))
for _k in (3, 5):
    register_op(f"dil_conv_{_k}x{_k}", f"{_k}x{_k} depthwise-separable conv, dilation 2 (DARTS DilConv)")(
        lambda ci, co, s, a, _k=_k: SepConv(ci, co, _k, s, dilation=2, affine=a))
register_op("avg_pool_3x3", "3x3 average pool")(lambda ci, co, s, a: Pool("avg", 3, ci, co, s, a))
for _k in (3, 5, 7):
    register_op(f"max_pool_{_k}x{_k}", f"{_k}x{_k} max pool")(
        lambda ci, co, s, a, _k=_k: Pool("max", _k, ci, co, s, a))
    register_op(f"sep_conv_{_k}x{_k}", f"{_k}x{_k} depthwise-separable conv, stacked twice (NASNet/DARTS)")(
        lambda ci, co, s, a, _k=_k: StackedSepConv(ci, co, _k, s, affine=a))
    register_op(f"sep_conv_{_k}x{_k}_single", f"{_k}x{_k} depthwise-separable conv, once (ops version 1)")(
        lambda ci, co, s, a, _k=_k: SepConv(ci, co, _k, s, affine=a))
register_op("conv_1x1", "1x1 conv")(lambda ci, co, s, a: ReLUConvBN(ci, co, 1, s, 0, affine=a))
register_op("conv_3x3", "3x3 conv")(lambda ci, co, s, a: ReLUConvBN(ci, co, 3, s, 1, affine=a))
register_op("conv_5x5", "5x5 conv (ENAS macro space)")(lambda ci, co, s, a: ReLUConvBN(ci, co, 5, s, 2, affine=a))
register_op("nor_conv_1x1", "NAS-Bench-201 1x1 ReLU-Conv-BN")(
    lambda ci, co, s, a: ReLUConvBN(ci, co, 1, s, 0, affine=a))
register_op("nor_conv_3x3", "NAS-Bench-201 3x3 ReLU-Conv-BN")(
    lambda ci, co, s, a: ReLUConvBN(ci, co, 3, s, 1, affine=a))

