import pytest
import torch

from nasx import create_op, op_names
from nasx.errors import GenotypeError
from nasx.measure import count_macs

CELL_OPS = ["identity", "conv_1x3_3x1", "conv_1x7_7x1", "dil_conv_3x3", "avg_pool_3x3", "max_pool_3x3",
            "max_pool_5x5", "max_pool_7x7", "conv_1x1", "conv_3x3", "sep_conv_3x3", "sep_conv_5x5",
            "sep_conv_7x7"]
NB201_OPS = ["none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"]
BLOCKS = ["inception", "residual", "bottleneck"]


def test_registry_holds_every_required_op():
    assert set(CELL_OPS + NB201_OPS + BLOCKS) <= set(op_names())


@pytest.mark.parametrize("name", sorted(n for n in op_names() if not n.startswith("test_")))
@pytest.mark.parametrize("stride", [1, 2])
@pytest.mark.parametrize("c_in,c_out", [(8, 8), (6, 12)])
def test_op_shapes_and_gradients(name, stride, c_in, c_out):
    torch.manual_seed(0)
    op = create_op(name, c_in, c_out, stride)
    x = torch.randn(2, c_in, 11, 11, requires_grad=True)
    y = op(x)
    assert y.shape == (2, c_out, (11 + stride - 1) // stride, (11 + stride - 1) // stride)
    if name == "none":  # carries nothing: zeros, no gradient path
        assert torch.count_nonzero(y) == 0
        return
    y.square().sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    for p in op.parameters():
        assert p.grad is not None


def test_unknown_op_and_bad_stride():
    with pytest.raises(GenotypeError, match="unknown op 'conv_9x9'"):
        create_op("conv_9x9", 4, 4, 1)
    with pytest.raises(GenotypeError, match="stride"):
        create_op("conv_3x3", 4, 4, 3)


def _conv_weights(module):
    return sum(m.weight.numel() for m in module.modules() if isinstance(m, torch.nn.Conv2d))


def test_seed_depthwise_separable_example():
    """M = N = 128, 3x3 kernel, 64x64 map: standard 147,456 params / ~604 M MACs,
    depthwise + pointwise 17,536 params / ~72 M MACs (weights only)."""
    std = create_op("conv_3x3", 128, 128, 1)
    sep = create_op("sep_conv_3x3_single", 128, 128, 1)
    assert _conv_weights(std) == 147_456
    assert _conv_weights(sep) == 17_536
    assert count_macs(std, (128, 64, 64)) == 147_456 * 64 * 64  # 603,979,776
    assert count_macs(sep, (128, 64, 64)) == 17_536 * 64 * 64  # 71,827,456
    assert round(count_macs(std, (128, 64, 64)) / 1e6) == 604
    assert round(count_macs(sep, (128, 64, 64)) / 1e6) == 72


def test_published_separable_conv_is_stacked_twice():
    """NASNet/PNAS/DARTS: (ReLU, depthwise kxk with the stride, pointwise, BN) twice, the second at
    stride 1: twice the single op's conv weights and BN parameters at c -> c."""
    for k in (3, 5, 7):
        one, two = create_op(f"sep_conv_{k}x{k}_single", 16, 16, 2), create_op(f"sep_conv_{k}x{k}", 16, 16, 2)
        assert _conv_weights(two) == 2 * _conv_weights(one) == 2 * (k * k * 16 + 16 * 16)
        strides = [m.stride for m in two.modules() if isinstance(m, torch.nn.Conv2d) and m.groups > 1]
        assert strides == [(2, 2), (1, 1)]
        assert sum(p.numel() for p in two.parameters()) == 2 * sum(p.numel() for p in one.parameters())
