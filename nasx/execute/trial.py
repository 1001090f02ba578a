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
from pathlib import Path

import torch

from ..budget import trial_device_seconds
from ..evaluate import cached_dataset, network_space, train_and_evaluate
from ..evaluate.trial_spec import TrialSpec
from ..premeasure import premeasure
from ..spaces import genotype_from_obj
from ..trial_build import build_record
from . import runners


def run_trial(spec: TrialSpec | dict, report=None) -> dict:
    """Dispatch to the trial's runner (default: train one candidate); the name is checked against
    the allow-list in `nasx.execute.runners`."""
    if isinstance(spec, dict):
        spec = TrialSpec.from_dict(spec)
    return runners.resolve(spec.runner)(spec, report)


def _build(spec: TrialSpec, dataset):
    """(model, architecture key): a zoo baseline when the spec's meta names one (the final phase
    retrains baselines as ordinary trials), else the spec's genotype in its space."""
    zoo = (spec.meta or {}).get("zoo")
    if zoo:
        from ..zoo import create_model

        return create_model(zoo, num_classes=dataset.num_classes, input_size=dataset.input_shape), f"zoo:{zoo}"
    genotype = genotype_from_obj(spec.genotype)
    space = network_space(genotype.space, spec.network)
    model = space.build(genotype, num_classes=dataset.num_classes, input_size=dataset.input_shape)
    return model, f"{genotype.space}:{genotype.hash}"


def train_trial(spec: TrialSpec, report=None) -> dict:
    t0 = time.time()
    task = spec.make_task()
    dataset = cached_dataset(task.data, task.val_fraction, task.max_train)
    torch.manual_seed(task.seed)
    pre: dict = {}
    try:
        model, arch = _build(spec, dataset)
    except Exception as exc:  # noqa: BLE001 - a candidate that cannot be built is a failed candidate
        model = None
        build_error = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    if model is None:
        result_d = {"status": "failed", "reason": build_error, "metrics": {}}
    else:
        with torch.random.fork_rng():  # measuring draws no number the training would have drawn
            pre, rejection = premeasure(model, dataset.input_shape, spec.measure, arch, spec.network)
        if rejection is not None:  # over a limit or not measurable: never trained
            result_d = {"status": "rejected" if pre.get("rejected") else "failed", "reason": rejection,
                        "metrics": {k: v for k, v in pre.items() if k != "rejected"}}
        else:
            result = train_and_evaluate(model, dataset, task, callback=report)
            result_d = result.to_dict()
            result_d["metrics"] = {**(result_d.get("metrics") or {}), **pre}
    wall = time.time() - t0
    cpus, gpus = float(spec.cpus), float(spec.gpus)
    weights = None
    if model is not None and spec.keep_weights and result_d["status"] == "ok" and spec.run_dir:
        run_dir = Path(spec.run_dir)
        if run_dir.is_dir():  # on a multi-node cluster without shared storage, weights stay behind
            rel = Path("trials") / spec.trial_id / "weights.pt"
            (run_dir / rel).parent.mkdir(parents=True, exist_ok=True)
            tmp = run_dir / rel.with_suffix(".tmp")
            torch.save({k: v.detach().cpu() for k, v in model.state_dict().items()}, tmp)
            os.replace(tmp, run_dir / rel)
            weights = str(rel)
    return {
        "status": result_d["status"], "reason": result_d.get("reason"), "metrics": result_d.get("metrics") or {},
        "wall_seconds": wall, "device_seconds": trial_device_seconds(wall, cpus, gpus),
        "cpus": cpus, "gpus": gpus, "worker": f"{socket.gethostname()}:{os.getpid()}", "weights": weights,
        "build": build_record(spec.network, dataset, task.data),
    }
