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


class Marked(nn.Module):
    """A slow 1x1 conv that says, in `$NASX_TEST_MARKS/<pid>`, how many training forwards this model
    has run in this worker: a test kills a worker only while it is early in a trial (see
    tests/test_reliability.py), so the kill cannot miss."""

    def __init__(self, c_in, c_out, stride):
        super().__init__()
        self.conv = nn.Conv2d(c_in, c_out, 1, stride)
        self.calls = 0

    def forward(self, x):
        import os
        import time

        marks = os.environ.get("NASX_TEST_MARKS")
        if marks and self.training:
            self.calls += 1
            path = os.path.join(marks, str(os.getpid()))
            with open(path + ".tmp", "w") as f:
                f.write(str(self.calls))
            os.replace(path + ".tmp", path)
        time.sleep(0.01)
        return self.conv(x)


register_op("test_marked")(lambda ci, co, s, a: Marked(ci, co, s))
