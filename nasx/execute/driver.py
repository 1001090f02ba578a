"""The search driver: strategy + budget + journal, shared by every executor.

Executors only ask the driver for the next trial spec (`next_spec`) and hand back outcomes
(`record`); the driver decides whether the budget allows another trial, writes each finished trial
to the journal before the strategy hears of it (so a kill never loses a told trial), and keeps the
progress figures. On resume it replays the journal into a fresh strategy and the spent budget.

No trial bought twice: a proposal whose key (genotype hash, network settings, fidelity) already has
a finished (status ok) result in the run is not launched; the strategy is told that result, the
proposal is refunded (not charged, not journaled) and the strategy is asked again, at most
`MAX_REPEATS` times in a row. A proposal equal to a trial still running waits for that trial's
result the same way. `allow_repeats: true` (re-evaluating on purpose, e.g. for noise estimates)
turns this off.

Stopping: `request_stop()` (the first Ctrl-C / SIGTERM) makes `next_spec` return FINISHED at once;
trials already running end normally and are journaled. A trial lost to the interruption itself is
`abandon`ed: never journaled, so resume proposes again.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field

from ..budget import Budget, Spend, allows
from ..config import SearchConfig
from ..errors import ConfigError
from ..evaluate import Result, TrialSpec
from ..evaluate.outcome import Status, TrialOutcome
from ..evaluate.runners import runner_of, trains_one_candidate
from ..runs import RunDir
from ..spaces import get_space
from ..strategies import make_strategy
from ..trial_build import journal_build
from .protocol import FINISHED, DriverBase

MAX_REPEATS = 50  # proposals in a row that repeat a finished trial before the driver stops asking
MAX_REJECTED = 25  # candidates in a row over a constraint before the search says nothing feasible turns up


@dataclass
class Stats:
    running: int = 0
    finished: int = 0
    failed: int = 0
    stopped: int = 0
    rejected: int = 0  # over a constraint (latency, params, MACs): measured, never trained
    rejected_in_a_row: int = 0
    repeats: int = 0  # proposals answered from the run's own results instead of being trained again
    best_value: float | None = None  # of the search's objective (the task kind's metric, its direction)
    best_id: str | None = None
    objective: str = "val_acc"
    stop_reason: str = ""
    recent: list = field(default_factory=list)  # last few (id, status, objective value, reason)


class SearchDriver(DriverBase):
    def __init__(self, cfg: SearchConfig, run: RunDir, gpus_per_trial: float, listeners=(), wrap=None,
                 strategy=None):
        """`run`: a RunDir, or a runs.MemoryRun for simulated searches; `wrap(strategy) -> strategy`
        replaces the default `prescreen` wrapping (the tabular bench scores without a data set);
        `strategy`: the run's strategy when the caller built it already (`nasx.search` does, once)."""
        self.cfg, self.run = cfg, run
        self.space = get_space(cfg.space)
        self.budget = Budget.parse(cfg.budget)
        self.cpus, self.gpus = float(cfg.cpus_per_trial), float(gpus_per_trial)
        if self.budget.gpu_seconds is not None and self.gpus <= 0:
            raise ConfigError(f"budget {cfg.budget!r} counts GPU-hours but trials hold no GPU (no GPU in the "
                              "cluster or gpus_per_trial 0); use a cpu-h, min or trials budget",
                              keys=("budget", "gpus_per_trial"))
        self.task = cfg.make_task().to_dict()
        self.kind = cfg.task_kind_obj()
        self.objective = self.kind.metric(cfg.objectives[0])
        # measured before training: deployment latency and the constraints (nasx.premeasure)
        self.measure = measure_settings(cfg, self.task)
        self.final = cfg.final_settings()
        self.peak_running = 1
        self.listeners = list(listeners)
        self.strategy = strategy if strategy is not None else self._make_strategy(wrap)
        self.spent = Spend()
        self.stats = Stats(objective=self.objective.name)
        self.running: dict[str, tuple] = {}  # proposal id -> (proposal, start time)
        self.costs: list[float] = []  # wall seconds of finished trials
        self.epoch_costs: list[tuple] = []  # (wall, epochs) of finished trainings: the final phase's estimate
        self.allow_repeats = bool(getattr(cfg, "allow_repeats", False))
        self.done: dict[tuple, Result] = {}  # key -> finished (ok) result already in the run
        self.inflight: dict[tuple, str] = {}  # key -> id of the running trial evaluating it
        self.waiting: dict[str, list] = {}  # running trial id -> repeat proposals awaiting its result
        self.replayed = 0
        meta = run.meta()
        self.wall_before = float(meta.get("wall_seconds_total", 0.0))
        self.t_start = time.time()
        self._replay()

    # ---- setup
    def _make_strategy(self, wrap=None):
        return make_strategy(self.cfg, self.space, self.run.path, self.budget.trials, wrap)

    def _replay(self):
        for t in self.run.trials():
            res = Result(_told(t.status), t.reason, dict(t.metrics))
            self.strategy.observe(t.genotype, res, t.fidelity, t.meta, trial_id=t.trial_id)
            if t.status == "ok" and trains_one_candidate(t.meta):  # as in _record: ENAS's child is no purchase
                self.done[self.key(t.genotype, t.fidelity)] = res
            self._count(t.trial_id, t.status, t.metrics, t.reason, t.wall_seconds, replay=True)
            if t.status == "ok" and t.metrics.get("epochs_done") and trains_one_candidate(t.meta):
                self.epoch_costs.append((t.wall_seconds, t.metrics["epochs_done"]))
            charged = t.wall_seconds + float(t.meta.get("proxy_seconds") or 0.0)
            self.spent.gpu_seconds += charged * float(t.meta.get("gpus", self.gpus))
            self.spent.cpu_seconds += charged * float(t.meta.get("cpus", self.cpus))
            self.spent.trials += 1
            self.replayed += 1
        if self.replayed:
            self.strategy.resumed(self.replayed)

    def key(self, genotype, fidelity: dict | None) -> tuple:
        """What makes two trials the same purchase: architecture, network settings, fidelity."""
        fid = {"epochs": self.cfg.epochs, **(fidelity or {})}
        return (genotype.hash, json.dumps(self.cfg.network, sort_keys=True, default=str),
                json.dumps(fid, sort_keys=True, default=str))

    def _ask(self):
        """The strategy's next proposal that is not a repeat; None (wait / nothing) or FINISHED."""
        for _ in range(MAX_REPEATS):
            p = self.strategy.ask()
            if p is None:
                return None
            if self.allow_repeats or not trains_one_candidate(p.meta):
                return p
            k = self.key(p.genotype, p.fidelity)
            if k in self.done:  # bought already: answer from the run's result, charge nothing
                self.strategy.refund(p)
                self.strategy.tell(p, self.done[k])
                self.stats.repeats += 1
                continue
            if k in self.inflight:  # being bought right now: it gets that trial's result
                self.strategy.refund(p)
                self.waiting.setdefault(self.inflight[k], []).append(p)
                self.stats.repeats += 1
                continue
            return p
        self.stats.stop_reason = (f"the strategy proposed only architectures this run already evaluated "
                                  f"({MAX_REPEATS} in a row); set allow_repeats to re-evaluate on purpose")
        return FINISHED

    # ---- the executor-facing protocol
    def wall_elapsed(self) -> float:
        return self.wall_before + (time.time() - self.t_start)

    def estimate(self) -> tuple[float, float, float] | None:
        if not self.costs:
            return None
        return (sum(self.costs[-20:]) / len(self.costs[-20:]), self.cpus, self.gpus)

    def next_spec(self) -> TrialSpec | str | None:
        """A trial spec to launch, None to wait, or FINISHED when no more trials should start."""
        if self.stop_requested:
            return FINISHED
        if self.stats.rejected_in_a_row >= MAX_REJECTED:
            self.stats.stop_reason = (f"nothing feasible: the last {MAX_REJECTED} candidates were all over the "
                                      f"constraints ({_limits_text(self.measure['limits'])}); relax a limit")
            return FINISHED
        reserve = self.final_reserve()
        spent = Spend(self.spent.gpu_seconds + reserve * self.gpus, self.spent.cpu_seconds + reserve * self.cpus,
                      self.spent.wall_seconds, self.spent.trials)
        ok, why = allows(self.budget, spent, len(self.running), self.estimate(),
                         self.wall_elapsed() + reserve / self.peak_running, self.cpus, self.gpus)
        if not ok:
            self.stats.stop_reason = why + (f" (with {reserve:.0f} s of single-slot training reserved for the "
                                            "final phase)" if reserve else "")
            return FINISHED
        p = self._ask()
        if isinstance(p, str):  # FINISHED: only repeats; wait for running trials, else stop
            return FINISHED if not self.running else None
        if p is None:
            if self.strategy.finished or not self.running:
                self.stats.stop_reason = self.stats.stop_reason or "strategy finished"
                return FINISHED
            return None
        self.running[p.id] = (p, time.time())
        if self.stop_requested:  # the stop arrived while the strategy was thinking: launch nothing
            del self.running[p.id]
            self.strategy.discard(p)
            return FINISHED
        if not self.allow_repeats and trains_one_candidate(p.meta):
            self.inflight[self.key(p.genotype, p.fidelity)] = p.id
        self.stats.running = len(self.running)
        self.peak_running = max(self.peak_running, len(self.running))
        self._notify("launch")
        return TrialSpec.build(measure=self.measure, trial_id=p.id,
            runner=runner_of(p.meta) if p.meta.get("runner") else self.kind.runner, budget_left=self.budget_left(),
            genotype=p.genotype.to_dict(),
            task=self.task, fidelity=p.fidelity, meta=dict(p.meta), network=dict(self.cfg.network or {}),
            run_dir="" if self.run.path is None else str(self.run.path), keep_weights=bool(self.cfg.keep_weights), cpus=self.cpus, gpus=self.gpus)

    def abandon(self, trial_id: str) -> None:
        """A trial lost to the interruption (its worker got the Ctrl-C): not journaled, not told, not
        charged; resume proposes again. An Optuna trial stays RUNNING and is closed on resume."""
        p, _ = self.running.pop(trial_id, (None, None))
        if p is None:
            return
        self._forget_inflight(trial_id)
        self.waiting.pop(trial_id, None)
        self.stats.running = len(self.running)
        self._notify("abandon")

    def _forget_inflight(self, trial_id: str) -> None:
        for k, tid in list(self.inflight.items()):
            if tid == trial_id:
                del self.inflight[k]

    def _record(self, trial_id: str, outcome: TrialOutcome) -> None:
        """A trial ended (ok, failed, stopped or rejected): journal first, then strategy and budget."""
        p, started = self.running.pop(trial_id)
        self._forget_inflight(trial_id)
        if outcome.genotype:  # a runner that derives its architecture (one-shot) reports which it was
            from ..spaces import genotype_from_obj

            p.genotype = genotype_from_obj(outcome.genotype)
        outcome.wall_seconds = float(outcome.wall_seconds or (time.time() - started))
        outcome.cpus, outcome.gpus = self.cpus, self.gpus  # what the trial held, as the budget counts it
        wall, metrics, status = outcome.wall_seconds, dict(outcome.metrics), outcome.status.value
        meta = {**p.meta, "cpus": self.cpus, "gpus": self.gpus}
        self.run.append({
            "event": "trial", "id": trial_id, "genotype": p.genotype.to_dict(), "hash": p.genotype.hash,
            "status": status, "reason": outcome.reason, "metrics": metrics,
            "device_seconds": outcome.device_seconds, "wall_seconds": wall, "worker": outcome.worker or None,
            "weights": outcome.weights, "fidelity": p.fidelity, "meta": meta,
            "started_at": started, "finished_at": time.time(),
            "build": journal_build(self.cfg.network, outcome.build),
        })
        result = Result(_told(status), outcome.reason, metrics)
        self.strategy.tell(p, result)
        if status == "ok" and trains_one_candidate(p.meta):
            self.done[self.key(p.genotype, p.fidelity)] = result
        for q in self.waiting.pop(trial_id, []):  # repeats proposed while it ran: same answer
            self.strategy.tell(q, result)
        # a pre-screen's proxy time (meta proxy_seconds) is device time spent on this trial's choice
        self.spent.add_trial(wall + float(p.meta.get("proxy_seconds") or 0.0), self.cpus, self.gpus)
        self.costs.append(wall)
        if status == "ok" and metrics.get("epochs_done") and trains_one_candidate(p.meta):
            self.epoch_costs.append((wall, metrics["epochs_done"]))
        self._count(trial_id, status, metrics, outcome.reason, wall)
        self.stats.running = len(self.running)
        self.run.update_meta(spent=self.spent.to_dict(), wall_seconds_total=self.wall_elapsed())
        self._notify("finish")

    def _count(self, trial_id, status, metrics, reason, wall, replay=False):
        st = self.stats
        value = metrics.get(self.objective.name)
        if status == Status.OK:
            st.finished += 1
            if self.objective.better(value, st.best_value):
                st.best_value, st.best_id = value, trial_id
        elif status == "stopped":
            st.stopped += 1
        elif status == "rejected":
            st.rejected += 1
        else:
            st.failed += 1
        st.rejected_in_a_row = st.rejected_in_a_row + 1 if status == "rejected" else 0
        st.recent = (st.recent + [(trial_id, status, value, reason)])[-5:]

    def final_reserve(self) -> float:
        """Single-slot wall seconds the final phase is expected to need (0 without one, or with its own
        budget): the search's own mean training seconds per epoch x the final epochs x the trainings."""
        f = self.final
        if not f.enabled or f.budget or self.budget.trials is not None:
            return 0.0
        per_epoch = [w / max(1, int(e)) for w, e in self.epoch_costs]
        if not per_epoch:
            return 0.0
        from ..config_sections import final_epochs

        n = (f.top + len(self.cfg.baselines or [])) * f.seeds
        return sum(per_epoch) / len(per_epoch) * final_epochs(f, vars(self.cfg)) * n

    def budget_left(self) -> dict:
        """What is left of each limit (None: unlimited), for runners that pace themselves (ENAS)."""
        b, s = self.budget, self.spent
        return {"gpu_seconds": None if b.gpu_seconds is None else b.gpu_seconds - s.gpu_seconds,
                "cpu_seconds": None if b.cpu_seconds is None else b.cpu_seconds - s.cpu_seconds,
                "wall_seconds": None if b.wall_seconds is None else b.wall_seconds - self.wall_elapsed()}

    def spent_primary(self) -> tuple[float, float | None, str]:
        """(spent, limit, unit) of the budget that binds first, for progress displays."""
        b, s = self.budget, self.spent
        if b.gpu_seconds is not None:
            return s.gpu_seconds / 3600, b.gpu_seconds / 3600, "GPU-h"
        if b.cpu_seconds is not None:
            return s.cpu_seconds / 3600, b.cpu_seconds / 3600, "CPU-h"
        if b.wall_seconds is not None:
            return self.wall_elapsed() / 60, b.wall_seconds / 60, "min"
        return float(s.trials), float(b.trials) if b.trials else None, "trials"


def measure_settings(cfg: SearchConfig, task: dict) -> dict:
    """What a trial measures before training (nasx.premeasure): the constraints always; the deployment
    latency when the task measures latency (task.latency, on by default), an objective or a limit needs it."""
    limits = cfg.limits()
    need = task.get("latency", True) or "latency_ms" in cfg.objectives or limits.latency_ms is not None
    return {**(cfg.latency_settings() if need else {}), "limits": limits.to_dict()}


def _told(status: str) -> str:
    """What a strategy hears: a candidate rejected by a constraint is an infeasible, failed one."""
    return "failed" if status == "rejected" else status


def _limits_text(limits: dict) -> str:
    return ", ".join(f"{k} <= {v:g}" for k, v in limits.items()) or "none"
