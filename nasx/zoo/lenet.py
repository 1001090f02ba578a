"""LeNet-5 (LeCun, Bottou, Bengio, Haffner 1998), with C3's original partial connection table.

Faithful parts: 32x32 input, C1 5x5x6, S2 trainable 2x2 subsampling (average x coefficient + bias,
per map), C3 5x5x16 where map j sees only the S2 maps in `C3_TABLE[j]` (Table I of the paper:
6 maps see 3, 9 see 4, 1 sees all 6 -> 1,516 params), S4, C5 5x5x120, F6 84, scaled tanh
1.7159*tanh(2x/3). Deviation: the fixed Euclidean-RBF output layer is a trainable 84->10 linear
layer, as every modern re-implementation does. MNIST's 28x28 digits are zero-padded to 32x32, which
is what the paper did; larger inputs are average-pooled to 5x5 before C5.
"""

from __future__ import annotations

import torch
from torch import nn

from ..blocks import out_size
from .registry import register_model

# C3 map j -> the S2 maps it is connected to (LeCun et al. 1998, Table I, read column by column).
C3_TABLE: tuple[tuple[int, ...], ...] = (
    (0, 1, 2), (1, 2, 3), (2, 3, 4), (3, 4, 5), (4, 5, 0), (5, 0, 1),
    (0, 1, 2, 3), (1, 2, 3, 4), (2, 3, 4, 5), (3, 4, 5, 0), (4, 5, 0, 1), (5, 0, 1, 2),
    (0, 1, 3, 4), (1, 2, 4, 5), (0, 2, 3, 5),
    (0, 1, 2, 3, 4, 5),
)


class ScaledTanh(nn.Module):
    """LeCun's squashing function f(a) = 1.7159 tanh(2a/3) (Appendix A)."""

    def forward(self, x):
        return 1.7159 * torch.tanh(x * (2.0 / 3.0))


class Subsampling(nn.Module):
    """S2/S4: sum of a 2x2 window times a trainable coefficient plus a trainable bias, per map."""

    def __init__(self, channels: int):
        super().__init__()
        self.pool = nn.AvgPool2d(2)
        self.weight = nn.Parameter(torch.ones(1, channels, 1, 1))
        self.bias = nn.Parameter(torch.zeros(1, channels, 1, 1))

    def forward(self, x):
        return self.pool(x) * 4 * self.weight + self.bias


class PartialConv(nn.Module):
    """C3: one small conv per output map over only the input maps its table row lists.

    Per-map convs (rather than a masked full conv) keep the parameter count and MACs the paper's.
    """

    def __init__(self, table, kernel_size: int = 5):
        super().__init__()
        self.table = tuple(tuple(row) for row in table)
        self.convs = nn.ModuleList(nn.Conv2d(len(row), 1, kernel_size) for row in self.table)
        for j, row in enumerate(self.table):
            self.register_buffer(f"idx{j}", torch.tensor(row, dtype=torch.long), persistent=False)

    def connections(self, n_in: int) -> list[list[bool]]:
        """The table as a boolean matrix [input map][output map], as printed in the paper."""
        return [[i in row for row in self.table] for i in range(n_in)]

    def forward(self, x):
        return torch.cat([conv(x.index_select(1, getattr(self, f"idx{j}")))
                          for j, conv in enumerate(self.convs)], 1)


class LeNet5(nn.Module):
    def __init__(self, num_classes: int = 10, input_size=(1, 32, 32)):
        super().__init__()
        c, h, w = input_size
        pad = (max(0, (32 - w) // 2), max(0, 32 - w - (32 - w) // 2),
               max(0, (32 - h) // 2), max(0, 32 - h - (32 - h) // 2))
        h, w = max(h, 32), max(w, 32)
        s4 = (out_size(out_size(h, 5), 2, 2) - 4) // 2, (out_size(out_size(w, 5), 2, 2) - 4) // 2
        self.features = nn.Sequential(
            nn.ZeroPad2d(pad) if any(pad) else nn.Identity(),
            nn.Conv2d(c, 6, 5), ScaledTanh(),            # C1
            Subsampling(6), ScaledTanh(),                # S2
            PartialConv(C3_TABLE), ScaledTanh(),         # C3
            Subsampling(16), ScaledTanh(),               # S4
            nn.AdaptiveAvgPool2d(5) if s4 != (5, 5) else nn.Identity(),
            nn.Conv2d(16, 120, 5), ScaledTanh(),         # C5
        )
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(120, 84), ScaledTanh(),  # F6
                                        nn.Linear(84, num_classes))

    @property
    def c3(self) -> PartialConv:
        return self.features[5]

    def forward(self, x):
        return self.classifier(self.features(x))


@register_model(
    "lenet5", family="lenet", year=1998, input_size=(1, 32, 32), num_classes=10, dataset="mnist",
    paper="LeCun et al., Gradient-Based Learning Applied to Document Recognition, Proc. IEEE 1998",
    top1_err=0.95, top5_err=None,
    recipe={"optimizer": "stochastic diagonal Levenberg-Marquardt", "epochs": 20,
            "lr_schedule": {"epochs": [2, 3, 3, 4, 8], "lr": [5e-4, 2e-4, 1e-4, 5e-5, 1e-5]},
            "loss": "MAP (RBF distance + competitive term)", "augmentation": "none (0.8% with distortions)",
            "eval": "MNIST test set, 10,000 images"},
    variant_note="MNIST test error; RBF output replaced by a linear layer")
def _lenet5(num_classes, input_size):
    return LeNet5(num_classes, input_size)
