"""One trial, wherever it runs (in-process or inside a Ray worker): a spec in, a `TrialOutcome` out.

`run_trial(spec, report)` looks the spec's runner up in the registry (`nasx.evaluate.runners`: only
registered runners run), calls it with `report(epoch, metrics)` for per-epoch reports (Ray Tune's
tune.report, an Optuna pruner), and completes the outcome with what every trial shares: its wall
time (unless the runner accounted its own), the devices it held and the worker. Candidate failures
(NaN, OOM, an exception in the model) come back as status "failed"; only infrastructure errors raise.
"""

from __future__ import annotations

import time

from ..evaluate.outcome import TrialOutcome, this_worker
from ..evaluate.runners import get_runner
from ..evaluate.trial_spec import TrialSpec


def run_trial(spec: TrialSpec | dict, report=None) -> TrialOutcome:
    if isinstance(spec, dict):
        spec = TrialSpec.from_dict(spec)
    runner = get_runner(spec.runner)
    t0 = time.time()
    out = TrialOutcome.coerce(runner.fn(spec, report))
    out.wall_seconds = float(out.wall_seconds or (time.time() - t0))
    out.cpus, out.gpus = float(spec.cpus), float(spec.gpus)
    out.worker = out.worker or this_worker()
    return out
