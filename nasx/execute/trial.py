"""One trial, wherever it runs (in-process or inside a Ray worker): genotype -> trained metrics.

`run_trial(spec, report)` builds the candidate, trains it with the evaluator, calls `report(epoch,
metrics)` after every epoch (Ray Tune's tune.report, or an Optuna pruner), saves the trained
weights into the run directory, and returns a plain dict. Candidate failures (NaN, OOM, an
exception in the model) come back as status "failed"; only infrastructure errors raise.
"""

from __future__ import annotations

import os
import socket
import time
from functools import lru_cache
from pathlib import Path

import torch

from ..budget import trial_device_seconds
from ..evaluate import Task, train_and_evaluate
from ..spaces import genotype_from_obj
from ..trial_build import build_record


@lru_cache(maxsize=4)
def _dataset(spec: str, val_fraction: float, max_train):
    from ..data import load_dataset

    return load_dataset(spec, val_fraction=val_fraction, max_train=max_train)


def _space(name: str, network_items: tuple):
    from ..spaces import get_space

    return get_space(name).with_network(**dict(network_items))


RUNNERS: dict[str, str] = {"train": "nasx.execute.trial:train_trial"}  # name -> "module:function"


def register_runner(name: str, target: str) -> None:
    """A trial runner `fn(spec, report) -> outcome dict` (e.g. ENAS's one-shot search)."""
    RUNNERS[name] = target


def run_trial(spec: dict, report=None) -> dict:
    """Dispatch to the trial's runner (default: train one candidate)."""
    import importlib

    name = spec.get("runner", "train")
    if name not in RUNNERS:
        raise ValueError(f"unknown trial runner {name!r}")
    mod, attr = RUNNERS[name].split(":")
    return getattr(importlib.import_module(mod), attr)(spec, report)


def train_trial(spec: dict, report=None) -> dict:
    t0 = time.time()
    task = Task.from_dict({**spec["task"], **spec.get("fidelity", {})})
    genotype = genotype_from_obj(spec["genotype"])
    dataset = _dataset(task.data, task.val_fraction, task.max_train)
    space = _space(genotype.space, tuple(sorted((spec.get("network") or {}).items())))
    torch.manual_seed(task.seed)
    try:
        model = space.build(genotype, num_classes=dataset.num_classes, input_size=dataset.input_shape)
    except Exception as exc:  # noqa: BLE001 - a candidate that cannot be built is a failed candidate
        model = None
        build_error = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    if model is None:
        result_d = {"status": "failed", "reason": build_error, "metrics": {}}
    else:
        result = train_and_evaluate(model, dataset, task, callback=report)
        result_d = result.to_dict()
    wall = time.time() - t0
    cpus, gpus = float(spec.get("cpus", 1.0)), float(spec.get("gpus", 0.0))
    weights = None
    if model is not None and spec.get("keep_weights") and result_d["status"] == "ok" and spec.get("run_dir"):
        run_dir = Path(spec["run_dir"])
        if run_dir.is_dir():  # on a multi-node cluster without shared storage, weights stay behind
            rel = Path("trials") / spec["trial_id"] / "weights.pt"
            (run_dir / rel).parent.mkdir(parents=True, exist_ok=True)
            tmp = run_dir / rel.with_suffix(".tmp")
            torch.save({k: v.detach().cpu() for k, v in model.state_dict().items()}, tmp)
            os.replace(tmp, run_dir / rel)
            weights = str(rel)
    return {
        "status": result_d["status"], "reason": result_d.get("reason"), "metrics": result_d.get("metrics") or {},
        "wall_seconds": wall, "device_seconds": trial_device_seconds(wall, cpus, gpus),
        "cpus": cpus, "gpus": gpus, "worker": f"{socket.gethostname()}:{os.getpid()}", "weights": weights,
        "build": build_record(spec.get("network"), dataset, task.data),
    }
