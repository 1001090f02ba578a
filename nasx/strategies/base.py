"""The ask/tell protocol every search strategy speaks.

    s = create_strategy("tpe", space, seed=0, objectives=["val_acc"])
    while not s.finished:
        p = s.ask()            # a Proposal, or None when it must wait for results
        result = evaluate(p.genotype, **p.fidelity)
        s.tell(p, result)      # result: nasx.evaluate.Result (status + metrics)

Executors (in-process, Ray Tune) only ever call ask/tell/observe, so any strategy runs anywhere.
Resume: a strategy is rebuilt from the run's journal by `observe(genotype, result)` for every
finished trial in journal order, which must leave it as if it had asked and been told them; then
`resumed(n)` re-derives its randomness from (seed, n) so that it continues rather than replaying
the random stream it started with (which would re-propose the genotypes it already evaluated).

No trial bought twice: the driver answers a proposal whose architecture already has a finished
result in the run from that result (`tell` without a journal line) and `refund`s it, so it does
not count towards `max_trials`.
"""

from __future__ import annotations

import math
import random
import re
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any

from ..errors import ConfigError
from ..genotype import Genotype
from ..metrics import Metric, metric


def check_objectives(objectives, kind=None) -> list[str]:
    """Objective names, each a registered metric (nasx.metrics: its direction). With the run's task
    kind, the first must be one of that kind's quality metrics (what a search is for: val_acc for
    an image classifier); the others may be any metric it reports or a shared cost (params, ...)."""
    objs = [o.strip() for o in (objectives.split(",") if isinstance(objectives, str) else objectives)]
    if not objs or not objs[0]:
        raise ConfigError("objectives: name at least one metric")
    if kind is not None:
        for o in objs:
            kind.metric(o)  # one line naming the kind's plug-in when the kind reports no such metric
        if objs[0] not in kind.quality_names():
            raise ConfigError(f"objectives must start with one of task kind {kind.name!r}'s metrics "
                              f"({', '.join(kind.quality_names())}), got {','.join(objs)}", keys=("objectives",))
    for o in objs:
        metric(o)
    return objs


@dataclass
class Proposal:
    """One candidate to evaluate. `fidelity` carries per-trial task overrides (e.g. epochs)."""

    id: str
    genotype: Genotype
    fidelity: dict = field(default_factory=dict)
    meta: dict = field(default_factory=dict)


def objective_values(result, objectives: list[str]) -> list[float] | None:
    """Objective vector of a finished result (raw values, each in its metric's direction), None if
    it failed or lacks a value. Strategies that compare one number use `Strategy.fitness`."""
    if result is None or getattr(result, "status", "failed") != "ok":
        return None
    vals = []
    for o in objectives:
        v = result.metrics.get(o)
        if v is None or (isinstance(v, float) and not math.isfinite(v)):
            return None
        vals.append(float(v))
    return vals


def resume_seed(name: str, seed: int, n_replayed: int) -> int:
    """A 32-bit seed for the random stream of a strategy resumed after `n_replayed` trials."""
    return random.Random(f"nasx-resume:{name}:{seed}:{n_replayed}").getrandbits(32)


class Strategy(ABC):
    """Base class: subclasses implement `_propose` and may override `_learn`."""

    name = ""

    def __init__(self, space, seed: int = 0, objectives=("val_acc",), max_trials: int | None = None,
                 seeds: list[Genotype] | None = None, **options):
        self.space = space
        self.seed = seed
        self.rng = random.Random(seed)
        self.objectives = check_objectives(list(objectives))
        self.metrics: list[Metric] = [metric(o) for o in self.objectives]  # names with their directions
        self.max_trials = max_trials
        self.options = options
        self._next_id = 0  # proposal ids are "<name>-<n>", n never reused (replayed ids included)
        self.pending: dict[str, Proposal] = {}
        self.history: list[tuple[Genotype, Any]] = []  # (genotype, Result) in the order told
        self._seed_queue = list(seeds or [])
        self.asked = 0
        if options:
            raise ConfigError(f"strategy {self.name}: unknown option(s) {', '.join(sorted(options))}")

    def fitness(self, result) -> float | None:
        """The first objective with higher = better (its metric's direction applied), None when the
        result failed or lacks it: what single-objective strategies compare."""
        vals = objective_values(result, self.objectives)
        return self.metrics[0].signed(vals[0]) if vals else None

    # ---- protocol
    @property
    def finished(self) -> bool:
        return self.max_trials is not None and self.asked >= self.max_trials

    def ask(self) -> Proposal | None:
        if self.finished:
            return None
        if self._seed_queue:
            g, meta = self._seed_queue.pop(0), {"seed": True}
            fidelity = {}
        else:
            out = self._propose()
            if out is None:
                return None
            g, fidelity, meta = out if isinstance(out, tuple) else (out, {}, {})
        p = Proposal(self._new_id(), g, dict(fidelity), dict(meta))
        self.pending[p.id] = p
        self.asked += 1
        return p

    def tell(self, proposal: Proposal | str, result) -> None:
        pid = proposal if isinstance(proposal, str) else proposal.id
        p = self.pending.pop(pid, None)
        if p is None:
            raise KeyError(f"unknown or already told proposal {pid}")
        self.history.append((p.genotype, result))
        self._learn(p, result)

    def observe(self, genotype: Genotype, result, fidelity: dict | None = None, meta: dict | None = None,
                trial_id: str | None = None) -> None:
        """Replay a finished trial (resume from the journal) as if it had been asked and told.

        `trial_id` is the id the journal holds: trials finish out of order, so a killed run's journal
        may hold ids 0, 1, 3 (2 was running); new proposals must continue after 3, not reuse it."""
        if self._seed_queue and self._seed_queue[0].hash == genotype.hash:
            self._seed_queue.pop(0)
        if trial_id is None:
            trial_id = self._new_id()
        else:
            m = re.fullmatch(rf"{re.escape(self.name)}-(\d+)", trial_id)
            if m:
                self._next_id = max(self._next_id, int(m.group(1)) + 1)
        p = Proposal(trial_id, genotype, dict(fidelity or {}), dict(meta or {}))
        self.pending[p.id] = p
        self.asked += 1
        self.tell(p, result)

    def refund(self, proposal: Proposal | str) -> None:
        """The executor did not pay for this proposal (a repeat answered from the run's results):
        it does not count towards `max_trials`. The proposal is still told its (cached) result."""
        self.asked = max(0, self.asked - 1)

    def discard(self, proposal: Proposal | str) -> None:
        """The executor will not run this proposal (a stop arrived while it was being asked): forget
        it without telling it anything, and do not count it towards `max_trials`."""
        pid = proposal if isinstance(proposal, str) else proposal.id
        if self.pending.pop(pid, None) is not None:
            self.refund(pid)

    def resumed(self, n_replayed: int) -> None:
        """Called once after the journal's `n_replayed` trials were observed: derive fresh
        randomness from (seed, n_replayed), so a resumed search continues its random stream
        instead of starting it again from the seed."""
        self.rng = random.Random(resume_seed(self.name, self.seed, n_replayed))

    def _new_id(self) -> str:
        n, self._next_id = self._next_id, self._next_id + 1
        return f"{self.name}-{n:05d}"

    # ---- for subclasses
    @abstractmethod
    def _propose(self):
        """Return a Genotype, a (Genotype, fidelity, meta) tuple, or None to wait."""

    def _learn(self, proposal: Proposal, result) -> None:
        """Update internal state with a told result (default: nothing beyond history)."""

    def attach_proxy(self, score_many) -> bool:
        """Offer a zero-cost proxy (genotypes -> scores) as a feature for the strategy's learned model;
        True if the strategy uses it. `--prescreen` offers its proxy to every strategy."""
        return False

    def close(self) -> None:
        """Release resources (e.g. storage handles)."""

    def summary(self) -> dict:
        return {"strategy": self.name, "asked": self.asked, "told": len(self.history)}
