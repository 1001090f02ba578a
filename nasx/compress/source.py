"""MODEL_OR_RUN for `nasx compress` / `nasx visualize`: `zoo:NAME` (trained here first), an export
folder or a run directory (nasx.load), plus where it came from so the result can be re-exported.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from ..data import Dataset
from ..errors import NasxError

ZOO_PREFIX = "zoo:"


@dataclass
class Loaded:
    model: nn.Module
    origin: dict  # {"kind": "zoo", "zoo": name} | {"kind": "genotype", "genotype": {...}}
    metrics: dict = field(default_factory=dict)


def _nothing(*_args) -> None:
    return None


def train_zoo(name: str, dataset: Dataset, epochs: int, lr: float = 0.05, device: str = "auto",
              seed: int = 0, log=_nothing, precheck=_nothing) -> Loaded:
    """A zoo model built for `dataset`'s shape and trained on it for `epochs` (the engine's trainer)."""
    from ..evaluate import Task, train_and_evaluate
    from ..zoo import create_model

    model = create_model(name, num_classes=dataset.num_classes, input_size=dataset.input_shape)
    precheck(model)  # refuse a bad option before spending the training time
    log(f"training zoo:{name} on {dataset.name} for {epochs} epoch(s)")
    task = Task(data=dataset.name, epochs=epochs, lr=lr, seed=seed, device=device, latency=False)
    result = train_and_evaluate(model, dataset, task)
    if result.status != "ok":
        raise NasxError(f"training zoo:{name} failed: {result.reason}")
    log(f"trained: val acc {result.metrics['val_acc']:.4f}, test acc {result.metrics['test_acc']:.4f}")
    return Loaded(model.cpu(), {"kind": "zoo", "zoo": name}, dict(result.metrics))


def _origin(path: Path) -> dict:
    """Where a trained network came from, so `--export` can rebuild the same architecture (with the
    same network settings) around the compressed weights."""
    if (path / "model.py").is_file():
        try:
            obj = json.loads((path / "genotype.json").read_text())
        except (OSError, ValueError):
            return {"kind": "export", "folder": str(path)}
        if "zoo" in obj:
            return {"kind": "zoo", "zoo": obj["zoo"]}
        try:
            build = json.loads((path / "metrics.json").read_text())["source"]["build"]
            network = dict(build.get("network") or {})
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            network = {}
        return {"kind": "genotype", "genotype": obj, "network": network}
    from ..final.plan import final_winner
    from ..runs import RunDir

    run = RunDir.open(path)
    winner = final_winner(run)  # what nasx.load(run) loads: the final phase's winner when one ran
    return {"kind": "run", "run": str(path.resolve()), "trial": (winner or run.best(1)).trial_id}


def load_model_or_run(spec: str, dataset: Dataset, epochs: int, device: str = "auto", log=_nothing,
            precheck=_nothing) -> Loaded:
    """The trained network MODEL_OR_RUN names, checked to accept `dataset`'s images.

    `precheck(model)` validates options against the architecture (before training, for the zoo).
    """
    if spec.startswith(ZOO_PREFIX):
        loaded = train_zoo(spec[len(ZOO_PREFIX):], dataset, epochs, device=device, log=log, precheck=precheck)
    else:
        from ..export import load

        path = Path(spec)
        if not path.is_dir():
            raise NasxError(f"{spec} is not zoo:NAME, an export folder or a run directory")
        loaded = Loaded(load(path).cpu(), _origin(path))
        precheck(loaded.model)
    _check_shape(loaded.model, dataset)
    return loaded


@torch.no_grad()
def _check_shape(model: nn.Module, dataset: Dataset) -> None:
    x = dataset.x_val[:2]
    try:
        out = model.eval()(x)
    except Exception as exc:  # noqa: BLE001 - any shape error, in one line
        raise NasxError(f"the model does not accept {dataset.name}'s {tuple(x.shape[1:])} images: "
                        f"{type(exc).__name__}: {str(exc).splitlines()[0][:160]}") from None
    if out.dim() != 2 or out.shape[1] != dataset.num_classes:
        raise NasxError(f"the model gives {tuple(out.shape[1:])} outputs but {dataset.name} has "
                        f"{dataset.num_classes} classes")


def export_weights(origin: dict, weights: Path, dataset: Dataset, out: Path) -> Path:
    """Export the architecture with the (decompressed) `weights` through nasx.export, into `out`."""
    from ..export import from_genotype, from_run, from_zoo, write_export

    size = tuple(dataset.input_shape)
    if origin["kind"] == "zoo":
        ex = from_zoo(origin["zoo"], num_classes=dataset.num_classes, input_size=size, weights=weights)
    elif origin["kind"] == "run":
        ex = from_run(origin["run"], trial=origin["trial"], num_classes=dataset.num_classes, input_size=size,
                      weights=weights)
    elif origin["kind"] == "genotype":
        gfile = weights.parent / "genotype.json"
        gfile.write_text(json.dumps(origin["genotype"], indent=1) + "\n")
        ex = from_genotype(gfile, num_classes=dataset.num_classes, input_size=size, weights=weights,
                           network=origin.get("network"))
    else:
        raise NasxError(f"cannot re-export {origin.get('folder')}: its genotype.json is missing")
    write_export(ex, out, force=True)
    return out
