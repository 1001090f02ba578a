"""Test plugin (loaded via NASX_PLUGINS, also inside Ray workers): ops that fail on purpose."""

import torch
from torch import nn

from nasx.ops import register_op


class Explode(nn.Module):
    def __init__(self, c_in, c_out, stride):
        super().__init__()
        self.conv = nn.Conv2d(c_in, c_out, 1, stride)

    def forward(self, x):
        raise RuntimeError("explode op: deliberate failure inside the model")


class MakeNaN(nn.Module):
    def __init__(self, c_in, c_out, stride):
        super().__init__()
        self.conv = nn.Conv2d(c_in, c_out, 1, stride)

    def forward(self, x):
        return self.conv(x) * torch.tensor(float("nan"))


class FakeOOM(nn.Module):
    def __init__(self, c_in, c_out, stride):
        super().__init__()
        self.conv = nn.Conv2d(c_in, c_out, 1, stride)

    def forward(self, x):
        raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 40.00 GiB")


register_op("test_explode")(lambda ci, co, s, a: Explode(ci, co, s))
register_op("test_nan")(lambda ci, co, s, a: MakeNaN(ci, co, s))
register_op("test_oom")(lambda ci, co, s, a: FakeOOM(ci, co, s))
