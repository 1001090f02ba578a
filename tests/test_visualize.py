"""Deconvnet visualization: hand-checked projection, gradient fallback named, CLI errors."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from torch import nn

from nasx.cli import main
from nasx.visualize import project, visualize

torch.set_num_threads(1)


def test_deconvnet_matches_hand_computation():
    """conv(2x2, no bias) -> ReLU -> maxpool(2): unpool at the switch, ReLU, transposed conv."""
    w = np.array([[1.0, -2.0], [0.5, 3.0]], dtype=np.float32)
    x = np.array([[0, 1, 2, 0, 1],
                  [3, 0, 1, 2, 0],
                  [1, 2, 0, 1, 3],
                  [0, 1, 3, 0, 2],
                  [2, 0, 1, 1, 0]], dtype=np.float32)
    net = nn.Sequential(nn.Conv2d(1, 1, 2, bias=False), nn.ReLU(), nn.MaxPool2d(2))
    with torch.no_grad():
        net[0].weight.copy_(torch.from_numpy(w).view(1, 1, 2, 2))
    recon, method, _ = project(net, "2", torch.from_numpy(x).view(1, 1, 5, 5), channel=0)
    assert method == "deconvnet"

    # by hand: the 4x4 conv map, ReLU, the 2x2 pooled map and its switches
    conv = np.array([[sum(x[i + u, j + v] * w[u, v] for u in range(2) for v in range(2)) for j in range(4)]
                     for i in range(4)])
    relu = np.maximum(conv, 0)
    pooled = relu.reshape(2, 2, 2, 2).max(axis=(1, 3))
    top = np.unravel_index(pooled.argmax(), pooled.shape)  # the strongest activation; all else zeroed
    block = relu[2 * top[0]:2 * top[0] + 2, 2 * top[1]:2 * top[1] + 2]
    du, dv = np.unravel_index(block.argmax(), (2, 2))  # the switch inside its pooling window
    unpooled = np.zeros((4, 4), dtype=np.float32)
    unpooled[2 * top[0] + du, 2 * top[1] + dv] = pooled[top]
    rect = np.maximum(unpooled, 0)
    expected = np.zeros((5, 5), dtype=np.float32)
    for i in range(4):
        for j in range(4):
            expected[i:i + 2, j:j + 2] += rect[i, j] * w  # transposed convolution
    assert pooled[top] > 0
    np.testing.assert_allclose(recon[0, 0].numpy(), expected, rtol=1e-6, atol=1e-6)


def test_batchnorm_path_falls_back_to_guided_backprop_and_says_so(tmp_path):
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Conv2d(4, 6, 3, padding=1), nn.ReLU(inplace=True))
    net.eval()
    x = torch.randn(20, 1, 8, 8)
    vis = visualize(net, x, "5", tmp_path, top=4, channels=[0, 2])
    assert vis.method == "guided-backprop" and "BatchNorm2d" in vis.reason
    record = json.loads((tmp_path / "visualize.json").read_text())
    assert record["layers"]["5"]["method"] == "guided-backprop"
    assert "guided backprop" in (tmp_path / "README.txt").read_text()
    for name in ("5_map000.png", "5_map002.png", "filters.png"):
        assert (tmp_path / name).stat().st_size > 0
    # a plain conv/relu/pool chain is inverted exactly
    vis = visualize(nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.MaxPool2d(2)), x, "2", tmp_path / "b",
                    top=2, channels=[1])
    assert vis.method == "deconvnet"


@pytest.mark.parametrize("args, needle", [
    (["zoo:lenet5", "--data", "digits", "--layer", "nope"], "unknown layer 'nope'; layers: features"),
    (["zoo:lenet5", "--data", "nosuchdata", "--layer", "features.1"], "unknown data scheme"),
    (["/no/such/dir", "--data", "digits", "--layer", "x"], "is not zoo:NAME"),
])
def test_cli_bad_inputs_one_line_exit_2(args, needle, tmp_path, capsys):
    rc = main(["visualize", *args, "--out", str(tmp_path / "v")])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and needle in err and len(err.splitlines()) == 1
