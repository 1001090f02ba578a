"""`FinalDriver`: the final phase's trainings through the same executors as the search.

It speaks the driver protocol the executors use (`next_spec` / `record` / `abandon` /
`request_stop`, `stats`, `spent`), so final trainings are ordinary trials: on Ray or in-process,
journaled (event "final") before anything else hears of them, and skipped on a resumed phase when
their line is in the journal. A training lost to a kill or Ctrl-C was never journaled, so the next
`nasx resume` / `nasx finalize` trains it; one that finished is never trained again.
"""

from __future__ import annotations

import time

from ..budget import Budget, Spend, allows
from ..evaluate import TrialSpec
from ..evaluate.outcome import Status, TrialOutcome
from ..execute.driver import Stats, measure_settings
from ..execute.protocol import FINISHED, DriverBase
from ..trial_build import journal_build
from .plan import FINAL_EVENT, FinalEntry, final_records


class FinalDriver(DriverBase):
    def __init__(self, cfg, run, entries: list[FinalEntry], gpus: float, listeners=(), budget: str | None = None):
        self.cfg, self.run = cfg, run
        self.cpus, self.gpus = float(cfg.cpus_per_trial), float(gpus)
        self.budget = Budget.parse(budget) if budget else None
        self.listeners = list(listeners)
        self.task = cfg.make_task().to_dict()
        self.measure = measure_settings(cfg, self.task)  # the same latency as the search; limits too
        self.measure.pop("limits", None)  # a final training is never rejected: it was feasible
        done = {r["id"] for r in final_records(run)}
        self.entries = {e.id: e for e in entries}
        self.pending = [e.id for e in entries if e.id not in done]
        self.skipped = len(entries) - len(self.pending)
        self.running: dict[str, float] = {}
        self.kind = cfg.task_kind_obj()
        self.objective = self.kind.metric(cfg.objectives[0])  # what ASHA and the displays read
        self.stats = Stats(objective=self.objective.name)
        self.spent = Spend()
        self.costs: list[float] = []
        self.t_start = time.time()

    # ---- the executor-facing protocol
    def wall_elapsed(self) -> float:
        return time.time() - self.t_start

    def next_spec(self):
        if self.stop_requested:
            return FINISHED
        if not self.pending:
            return FINISHED if not self.running else None
        if self.budget is not None:
            est = (sum(self.costs) / len(self.costs), self.cpus, self.gpus) if self.costs else None
            ok, why = allows(self.budget, self.spent, len(self.running), est, self.wall_elapsed(), self.cpus,
                             self.gpus)
            if not ok:
                self.stats.stop_reason = f"final budget: {why}"
                return FINISHED if not self.running else None
        e = self.entries[self.pending.pop(0)]
        self.running[e.id] = time.time()
        self.stats.running = len(self.running)
        self._notify("launch")
        task = {**self.task, "epochs": e.epochs, "seed": e.seed}
        return TrialSpec.build(trial_id=e.id, runner=self.kind.runner, genotype=e.genotype or {"zoo": e.name}, task=task,
                               meta=e.meta(), network=dict(self.cfg.network or {}),
                               run_dir=str(self.run.path), keep_weights=True, cpus=self.cpus, gpus=self.gpus,
                               measure=self.measure)

    def _record(self, trial_id: str, outcome: TrialOutcome) -> None:
        started = self.running.pop(trial_id)
        e = self.entries[trial_id]
        outcome.wall_seconds = wall = float(outcome.wall_seconds or (time.time() - started))
        outcome.cpus, outcome.gpus = self.cpus, self.gpus
        status, metrics = outcome.status.value, dict(outcome.metrics)
        self.run.append({
            "event": FINAL_EVENT, "id": trial_id, **e.meta()["final"], "genotype": e.genotype,
            "status": status, "reason": outcome.reason, "metrics": metrics,
            "device_seconds": outcome.device_seconds, "wall_seconds": wall,
            "worker": outcome.worker or None, "weights": outcome.weights,
            "meta": {**e.meta(), "cpus": self.cpus, "gpus": self.gpus}, "started_at": started,
            "finished_at": time.time(),
            "build": journal_build(self.cfg.network if e.kind == "found" else {}, outcome.build),
        })
        self.spent.add_trial(wall, self.cpus, self.gpus)
        self.costs.append(wall)
        st = self.stats
        if status == Status.OK:
            st.finished += 1
        elif status == Status.STOPPED:
            st.stopped += 1
        else:
            st.failed += 1
        st.recent = (st.recent + [(trial_id, status, metrics.get(self.objective.name), outcome.reason)])[-5:]
        st.running = len(self.running)
        self._notify("finish")

    def abandon(self, trial_id: str) -> None:
        """Lost to the interruption: not journaled, trained by the next finalize."""
        if self.running.pop(trial_id, None) is not None:
            self.pending.insert(0, trial_id)
            self.stats.running = len(self.running)
            self._notify("abandon")

    def spent_primary(self):
        total = len(self.entries) - self.skipped
        return float(self.stats.finished + self.stats.failed + self.stats.stopped), float(total), "final trainings"

    def budget_left(self) -> dict:
        return {}
