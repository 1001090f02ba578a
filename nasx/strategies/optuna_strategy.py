"""Optuna samplers (TPE, NSGA-II, GP) as ask/tell strategies over the space's chooser interface.

Each architecture decision becomes one categorical parameter (`trial.suggest_categorical`), so
the same space code serves Optuna, random sampling and controllers. The study can live in the
run directory (SQLite), where `optuna-dashboard sqlite:///runs/<id>/optuna.db` opens it. TPE uses
`constant_liar=True` so parallel workers are steered away from each other's pending points.
"""

from __future__ import annotations

import logging

import optuna
from optuna.distributions import CategoricalDistribution
from optuna.trial import TrialState

from ..metrics import metric
from ..spaces import Chooser
from .base import Strategy, objective_values, resume_seed
from .registry import register_strategy

optuna.logging.set_verbosity(logging.WARNING)
CONSTRAINT = "limits"  # Optuna constraint name: the relative excess over the run's limits (<= 0 feasible)


def infeasible(result, objectives: list[str]) -> tuple[list[float], float] | None:
    """(placeholder objective values, relative excess) of a candidate rejected by a limit, else None."""
    m = getattr(result, "metrics", None) or {}
    limits = m.get("limits") or {}
    excess = [(m[k] - v) / v for k, v in limits.items() if m.get(k) is not None and v]
    if not excess or max(excess) <= 0:
        return None
    # a metric to maximise (never measured: the candidate was not trained) gets its worst value; one to
    # minimise keeps what was measured (params, latency: NSGA-II still sees the trade-off), else a huge one
    vals = [(0.0 if metric(o).fraction else -1e12) if metric(o).direction == "max"
            else float(m[o]) if m.get(o) is not None else 1e12 for o in objectives]
    return vals, max(excess)


class TrialChooser(Chooser):
    def __init__(self, trial):
        self.trial = trial

    def choose(self, key, options):
        return self.trial.suggest_categorical(key, list(options))


class OptunaStrategy(Strategy):
    """Base for Optuna-backed strategies; subclasses choose the sampler."""

    uses_storage = True  # the driver gives it sqlite:///<run>/optuna.db

    def __init__(self, space, storage: str | None = None, study_name: str = "nasx", **kw):
        super().__init__(space, **kw)
        directions = [m.optuna_direction for m in self.metrics]
        self.study = optuna.create_study(storage=storage, study_name=study_name, directions=directions,
                                         sampler=self.make_sampler(), load_if_exists=storage is not None)
        self._trials: dict[str, int] = {}  # proposal id -> Optuna trial number
        self._live: dict[int, optuna.trial.Trial] = {}  # number -> the asked trial (to set attributes on)
        self._stored: dict[str, int] = {}  # genotype hash -> finished trials already in storage
        for t in self.study.get_trials(deepcopy=False):
            if t.state == TrialState.RUNNING:  # its worker died with the driver: close it as failed
                self.study.tell(t.number, state=TrialState.FAIL)
            elif "nasx_hash" in t.user_attrs:
                self._stored[t.user_attrs["nasx_hash"]] = self._stored.get(t.user_attrs["nasx_hash"], 0) + 1

    def make_sampler(self, seed: int | None = None):
        raise NotImplementedError

    def resumed(self, n_replayed: int) -> None:
        """A fresh sampler seeded from (seed, trials in the study): TPE's start-up samples (and any
        sampler randomness) continue instead of replaying the first run's draws."""
        super().resumed(n_replayed)
        n = len(self.study.get_trials(deepcopy=False))
        self.study.sampler = self.make_sampler(resume_seed(self.name, self.seed, n))

    def _distributions(self):
        return {k: CategoricalDistribution(list(o)) for k, o in self.space.decisions()}

    def _propose(self):
        trial = self.study.ask()
        self._live[trial.number] = trial
        g = self.space.sample(TrialChooser(trial))
        trial.set_user_attr("nasx_hash", g.hash)
        return g, {}, {"optuna_trial": trial.number}

    def ask(self):
        p = super().ask()
        if p is not None and "optuna_trial" in p.meta:
            self._trials[p.id] = p.meta["optuna_trial"]
        return p

    def discard(self, proposal):
        """Close the asked Optuna trial as failed (once; it is never told again)."""
        pid = proposal if isinstance(proposal, str) else proposal.id
        number = self._trials.pop(pid, None)
        self._live.pop(number, None)
        super().discard(proposal)
        if number is not None:
            self.study.tell(number, state=TrialState.FAIL)

    def _learn(self, proposal, result):
        number = self._trials.pop(proposal.id, None)
        vals = objective_values(result, self.objectives)
        # A candidate rejected by a limit (nasx.premeasure) is told as a complete trial with its excess
        # as an Optuna constraint, so the sampler learns where the infeasible region is (TPE, NSGA-II
        # and GP read constraints; a failed trial would be ignored). Feasible ones carry 0.
        excess = 0.0
        bad = infeasible(result, self.objectives) if vals is None else None
        if bad is not None:
            vals, excess = bad
        if number is None:  # a seed or a replayed trial: add it to the study as finished
            if self._stored.get(proposal.genotype.hash, 0) > 0:
                self._stored[proposal.genotype.hash] -= 1
                return
            choices = self.space.choices(proposal.genotype)
            dists = self._distributions()
            if set(choices) != set(dists):
                return
            state = TrialState.COMPLETE if vals else TrialState.FAIL
            self.study.add_trial(optuna.trial.create_trial(
                params=choices, distributions=dists, values=vals if vals else None, state=state,
                user_attrs={"nasx_hash": proposal.genotype.hash},
                constraints={CONSTRAINT: excess} if vals else None))
            return
        live = self._live.pop(number, None)
        if live is not None and vals is not None:
            live.set_constraint(CONSTRAINT, excess)
        if vals is None:
            self.study.tell(number, state=TrialState.FAIL)
        else:
            self.study.tell(number, vals if len(vals) > 1 else vals[0])


@register_strategy("tpe")
class TPE(OptunaStrategy):
    def make_sampler(self, seed=None):
        return optuna.samplers.TPESampler(seed=self.seed if seed is None else seed, constant_liar=True, multivariate=True,
                                          n_startup_trials=10)


@register_strategy("nsga2")
class NSGA2(OptunaStrategy):
    def make_sampler(self, seed=None):
        return optuna.samplers.NSGAIISampler(seed=self.seed if seed is None else seed, population_size=20)


@register_strategy("gp")
class GP(OptunaStrategy):
    def make_sampler(self, seed=None):
        return optuna.samplers.GPSampler(seed=self.seed if seed is None else seed)
