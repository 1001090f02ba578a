"""Weight files (state_dicts): read safely, load strictly, and read a network's shape from its tensors.

Every reader of trained weights (export, `nasx.load`, `trial_build`, compress) goes through here:
files are loaded with `weights_only=True`, loaded into a network with `strict=True` (a mismatch is
one line naming what differs), and the classes / input channels a network was trained with are
read from its classifier's rows and first convolution's input channels when nothing recorded them.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from .errors import NasxError

DEFAULT_INPUT_SIZE = (3, 32, 32)
DEFAULT_NUM_CLASSES = 10


def load_state(path: str | Path) -> dict:
    """A state_dict from `path`, loaded safely (weights_only=True), or a one-line NasxError."""
    p = Path(path)
    if not p.is_file():
        raise NasxError(f"weights file {p} does not exist")
    try:
        state = torch.load(p, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - pickle / zip errors of all kinds
        msg = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise NasxError(f"weights file {p} cannot be loaded with weights_only=True: {msg[:200]}") from None
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise NasxError(f"weights file {p} is not a state_dict (a mapping of names to tensors)")
    return state


def load_into(model: nn.Module, state: dict, where: str) -> None:
    """load_state_dict(strict=True) with a one-line explanation of a mismatch."""
    own = model.state_dict()
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    shapes = [k for k in own if k in state and own[k].shape != state[k].shape]
    if missing or unexpected or shapes:
        parts = []
        for what, keys in (("missing", missing), ("unexpected", unexpected), ("wrong shape", shapes)):
            if keys:
                parts.append(f"{len(keys)} {what} (e.g. {keys[0]})")
        raise NasxError(f"{where} does not match the network: {', '.join(parts)}")
    model.load_state_dict(state, strict=True)


def infer_shape(build, state: dict) -> tuple[int, int]:
    """(num_classes, in_channels) of a network whose weights are `state`: the last Linear's rows and
    the first Conv2d's input channels, found on a meta-device build(num_classes, input_size) of the
    same architecture; the defaults where the state lacks them. Not bounds-checked (the caller's job)."""
    with torch.device("meta"):
        probe = build(DEFAULT_NUM_CLASSES, DEFAULT_INPUT_SIZE)
    convs = [(n, m) for n, m in probe.named_modules() if isinstance(m, nn.Conv2d)]
    linears = [n for n, m in probe.named_modules() if isinstance(m, nn.Linear)]
    num_classes, in_channels = DEFAULT_NUM_CLASSES, DEFAULT_INPUT_SIZE[0]
    if linears and f"{linears[-1]}.weight" in state:
        num_classes = int(state[f"{linears[-1]}.weight"].shape[0])
    if convs and f"{convs[0][0]}.weight" in state:
        in_channels = int(state[f"{convs[0][0]}.weight"].shape[1]) * convs[0][1].groups
    return num_classes, in_channels
