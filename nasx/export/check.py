"""Round-trip check: the exported model.py, run where nasx cannot be imported, equals the engine.

The child is a fresh `python -I -B` (no PYTHONPATH, no user site, no current folder, no bytecode
written into the export) whose sys.path gets only the export folder added, with an import hook
that refuses `nasx`: if model.py needed the engine, the check fails. It loads the weights, runs
the saved input in eval mode and prints the largest absolute difference from the engine's output.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import torch
from torch import nn

from ..errors import NasxError
from ..inputs import InputSpec, first_output

TOLERANCE = 1e-5
TIMEOUT_S = 600

CHILD = r"""
import importlib.abc, json, sys
class _NoNasx(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "nasx" or name.startswith("nasx."):
            raise ImportError("model.py must not import nasx")
        return None
sys.meta_path.insert(0, _NoNasx())
folder, case = sys.argv[1], sys.argv[2]
sys.path.insert(0, folder)
import torch
import model
torch.manual_seed(1)
data = torch.load(case, weights_only=True)
net = model.build()
net.load_state_dict(data["state"], strict=True)
net.double().eval()
x = data["x"].double() if data["x"].is_floating_point() else data["x"]
with torch.no_grad():
    out = net(x)
out = out[0] if isinstance(out, (tuple, list)) else out
print(json.dumps({"max_abs_diff": float((out - data["y"]).abs().max()), "shape": list(out.shape)}))
"""


def example_input(input_size, batch: int = 2) -> torch.Tensor:
    """The fixed input every check uses (seeded, so the result is reproducible); `input_size` is a
    CxHxW shape or a nasx.inputs.InputSpec (token ids for a language model)."""
    return InputSpec.of(input_size).example(batch, seed=0)


@torch.no_grad()
def reference(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """The engine's output in float64 (the child computes in float64 too), so the comparison tests
    the function, not float32 rounding that differs with thread counts between processes."""
    import copy

    return first_output(copy.deepcopy(model).double().eval()(x.double() if x.is_floating_point() else x))


def run_child(folder: Path, state: dict, x: torch.Tensor, y: torch.Tensor) -> dict:
    """Run the exported folder in a fresh interpreter; returns {max_abs_diff, shape}."""
    with tempfile.TemporaryDirectory(prefix="nasx-check-") as tmp:
        case = Path(tmp) / "case.pt"
        torch.save({"state": state, "x": x, "y": y}, case)
        try:
            proc = subprocess.run([sys.executable, "-I", "-B", "-c", CHILD, str(Path(folder).resolve()), str(case)],
                                  check=False, capture_output=True, text=True, timeout=TIMEOUT_S, cwd=tmp)
        except subprocess.TimeoutExpired:
            raise NasxError(f"round-trip check timed out after {TIMEOUT_S} s") from None
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise NasxError(f"round-trip check failed: exported model.py does not run: {last}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def round_trip(folder: Path, model: nn.Module, input_size, tolerance: float = TOLERANCE) -> float:
    """Max abs difference between model.py (in a fresh process) and `model`; NasxError above tolerance."""
    x = example_input(input_size)
    y = reference(model, x)
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    res = run_child(folder, state, x, y)
    diff = res["max_abs_diff"]
    if not diff <= tolerance:  # also catches NaN
        raise NasxError(f"round-trip check failed: model.py differs from the engine by {diff:.3g} "
                        f"(tolerance {tolerance:g})")
    return diff
