"""Building blocks shared by the zoo and the search spaces (public names, one definition each).

Larger than the cell primitives of `nasx.ops`, and post-activation (Conv-BN-ReLU) as their papers
are. Three are also registered as ops (`inception`, `residual`, `bottleneck`) so a space may place
them on an edge: blocks stand on ops, never the other way round.
"""

from __future__ import annotations

from ..ops import register_op
from .conv import bn_relu6, conv_bn_relu
from .heads import fc_head, gap_head
from .inception import (
    POOLS,
    V2_STEM,
    Branches,
    InceptionModule,
    Mix,
    Res,
    ResidualBranches,
    build_step,
    build_steps,
    same,
)
from .mobile import InvertedResidual, ShuffleV1Unit, ShuffleV2Unit, channel_shuffle, shuffle_stem
from .residual import BasicBlock, Bottleneck, BottleneckV1, PyramidBlock, ShortcutA, imagenet_stem
from .sizing import is_small, make_divisible, out_size

__all__ = [
    "POOLS", "V2_STEM", "BasicBlock", "Bottleneck", "BottleneckV1", "Branches", "InceptionModule", "InvertedResidual", "Mix",
    "PyramidBlock", "Res", "ResidualBranches", "ShortcutA", "ShuffleV1Unit", "ShuffleV2Unit", "bn_relu6",
    "build_step", "build_steps", "channel_shuffle", "conv_bn_relu", "fc_head", "gap_head", "imagenet_stem",
    "is_small", "make_divisible", "out_size", "same", "shuffle_stem",
]


def _inception_op(c_in, c_out, stride, affine):
    # Four equal-width branches (the remainder goes to the 1x1 branch), reductions at half width.
    q = max(1, c_out // 4)
    r = max(1, q // 2)
    return InceptionModule(c_in, c_out - 3 * q, r, q, r, q, q, stride=stride)


register_op("inception", "inception module: 1x1 / 3x3 / 5x5 / pool branches with 1x1 reductions")(
    _inception_op)
register_op("residual", "ResNet basic block (3x3-3x3 + shortcut)")(
    lambda ci, co, s, a: BasicBlock(ci, co, s))
register_op("bottleneck", "ResNet bottleneck block (1x1-3x3-1x1 + shortcut)")(
    lambda ci, co, s, a: Bottleneck(ci, max(1, co // 4), co, s))
