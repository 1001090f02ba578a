"""Run a search in this process, one trial at a time (tests, a single GPU, no Ray)."""

from __future__ import annotations

from ..evaluate.outcome import TrialOutcome
from .driver import FINISHED, SearchDriver
from .executors import Executor
from .trial import run_trial


def run_inprocess(driver: SearchDriver, run=run_trial) -> None:
    """The ask/tell loop: `run(spec) -> outcome` trains the trial (or, for the tabular bench,
    looks it up)."""
    while True:
        spec = driver.next_spec()
        if spec == FINISHED or spec is None:  # nothing runs concurrently here, so None means done
            return
        try:
            outcome = run(spec)
        except Exception as exc:  # noqa: BLE001 - an infrastructure error fails this trial only
            outcome = TrialOutcome.failed(f"{type(exc).__name__}: {exc}")
        driver.record(spec.trial_id, outcome)


class InProcessExecutor(Executor):
    """Trials one after another in this process; a trial holds a whole GPU when there is one."""

    default_gpu_share = 1.0

    def cluster_gpus(self) -> float:
        import torch

        return float(torch.cuda.device_count())

    def run(self, driver: SearchDriver, round_no: int) -> None:
        run_inprocess(driver)
