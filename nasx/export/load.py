"""`nasx.load(PATH)`: the trained network from an export folder or a run directory.

An export folder is imported by file path (its model.py under a private module name, so two
exports never collide in sys.modules) and gets its weights.pt; a run directory gives its best
trial rebuilt through the space, with the trial's weights loaded (weights_only=True, strict).
"""

from __future__ import annotations

import importlib.util
import itertools
from pathlib import Path

from torch import nn

from ..errors import NasxError
from ..weights import load_into, load_state

_counter = itertools.count()


def load_export(folder: Path) -> nn.Module:
    """build() from folder/model.py, with folder/weights.pt loaded when present."""
    spec = importlib.util.spec_from_file_location(f"nasx_export_{next(_counter)}", folder / "model.py")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # noqa: BLE001 - report which file is broken, in one line
        raise NasxError(f"{folder / 'model.py'} cannot be imported: {type(exc).__name__}: {exc}") from None
    if not callable(getattr(module, "build", None)):
        raise NasxError(f"{folder / 'model.py'} has no build() function")
    model = module.build()
    if (folder / "weights.pt").is_file():
        load_into(model, load_state(folder / "weights.pt"), str(folder / "weights.pt"))
    return model


def load_run(folder: Path, rank: int = 1) -> nn.Module:
    from .sources import from_run

    ex = from_run(folder, rank=rank)
    if ex.weights is None:
        raise NasxError(f"run {folder.name}: the best trial kept no weights (nothing trained to load)")
    return ex.model


def load(path: str | Path, rank: int = 1) -> nn.Module:
    """The network (in eval mode) saved at `path`: an export folder or a run directory (trial `rank`)."""
    p = Path(path)
    if (p / "model.py").is_file():
        model = load_export(p)
    elif (p / "run.json").is_file():
        model = load_run(p, rank)
    else:
        raise NasxError(f"{p} is neither an export folder (model.py) nor a run directory (run.json)")
    return model.eval()
