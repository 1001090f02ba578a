"""BANANAS (White, Neiswanger & Savani, AAAI 2021): an ensemble of neural predictors, independent
Thompson sampling, and candidates made by mutating the best cells.

After `init` random cells, each round fits an ensemble of `members` MLPs (the `mlp_ensemble`
surrogate: bootstrap resamples, rank-normalised targets) on every cell told so far, makes the
unseen one-decision neighbours of the `mutate_top` best cells the candidates (topped up with random
samples to `candidates`), draws one sample per candidate from N(mean, std) of the ensemble
(independent Thompson sampling) and proposes the `batch` best draws. A round is asked as soon as the
last one's plan is used up, with whatever results are in: under a parallel executor the search never
waits for a whole batch (asynchronous, as the paper's parallel BANANAS).

With a zero-cost proxy attached (`--prescreen PROXY:N`, `PROXY:1` for the feature alone) the
predictor reads each cell's proxy score beside its encoding.

Departures from the reference code (naszilla/bananas; settings checked against its `bananas()`
signature: num_init 10, k 10, num_ensemble 5, mutation acquisition of the best arch, 100
candidates, ITS), each for a reason:
  - encoding: the space's one-hot decision encoding (`Space.encode`), not the path encoding, which
    exists for DAG cells only; nasx's strategies work on every space.
  - predictor: the shared `mlp_ensemble` (2 layers of 32, 60 full-batch Adam steps, rank targets)
    instead of 10 layers of 20 trained 200 epochs on MAE: a fit costs milliseconds here and ranks
    as well on NB201 (benchmarks/README.md has the measured tables).
  - candidates: all unseen one-step neighbours of the best `mutate_top` cells (the reference mutates
    the best one with rate 1 at random), topped up with random samples when the neighbourhood is
    used up, so the search cannot stall at a local optimum.
"""

from __future__ import annotations

import numpy as np

from ..errors import ConfigError
from ..spaces import RandomChooser
from .base import Strategy
from .pnas import neighbours
from .registry import register_strategy
from .surrogates import create_surrogate

ACQUISITIONS = ("its", "ucb", "mean")


def _positive_int(name: str, value, low: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ConfigError(f"strategy bananas: {name} must be an integer >= {low}, got {value!r}")
    return value


@register_strategy("bananas")
class Bananas(Strategy):
    def __init__(self, space, init: int = 10, batch: int = 10, members: int = 5, candidates: int = 100,
                 mutate_top: int = 2, acquisition: str = "its", kappa: float = 1.0, **kw):
        super().__init__(space, **kw)
        self.init = _positive_int("init", init)
        self.batch = _positive_int("batch", batch)
        self.members = _positive_int("members", members, low=2)
        self.candidates = _positive_int("candidates", candidates)
        self.mutate_top = _positive_int("mutate_top", mutate_top)
        if acquisition not in ACQUISITIONS:
            raise ConfigError(f"strategy bananas: acquisition must be one of {', '.join(ACQUISITIONS)}, "
                              f"got {acquisition!r}")
        if isinstance(kappa, bool) or not isinstance(kappa, (int, float)):
            raise ConfigError(f"strategy bananas: kappa must be a number, got {kappa!r}")
        self.acquisition, self.kappa = acquisition, float(kappa)
        self.data: dict[str, tuple] = {}  # hash -> (genotype, value) of every successful trial
        self.plan: list = []              # (genotype, predicted) of the current round, not yet asked
        self.rounds = 0
        self._features: dict = {}
        self._proxy = None

    def attach_proxy(self, score_many) -> bool:
        self._proxy = score_many
        return True

    def _learn(self, proposal, result):
        fit = self.fitness(result)
        if fit is not None:
            self.data[proposal.genotype.hash] = (proposal.genotype, fit)

    def _taken(self) -> set:
        return {g.hash for g, _ in self.history} | {p.genotype.hash for p in self.pending.values()}

    def _random(self, taken: set, rng) -> object | None:
        for _ in range(100):
            g = self.space.sample(RandomChooser(rng))
            if g.hash not in taken:
                return g
        return None

    def _propose(self):
        taken = self._taken()
        self.plan = [(g, v) for g, v in self.plan if g.hash not in taken]
        if len(self.history) + len(self.pending) < self.init or len(self.data) < 2:
            return self._random(taken, self.rng) or self.space.sample(RandomChooser(self.rng))
        if not self.plan:
            self.plan = self._round(taken)
            if not self.plan:
                return None
        g, pred = self.plan.pop(0)
        return g, {}, {"round": self.rounds, "predicted": pred}

    def _round(self, taken: set) -> list:
        """Fit the ensemble on every told cell and pick the next `batch` by the acquisition."""
        self.rounds += 1
        rng = np.random.default_rng([self.seed, len(self.history), self.rounds])
        ranked = sorted(self.data.items(), key=lambda kv: (-kv[1][1], kv[0]))
        cands, seen = [], set(taken)
        for _, (parent, _) in ranked[:self.mutate_top]:
            for g in neighbours(self.space, parent):
                if g.hash not in seen:
                    seen.add(g.hash)
                    cands.append(g)
        for _ in range(max(0, self.candidates - len(cands)) * 3):
            if len(cands) >= self.candidates:
                break
            g = self._random(seen, self.rng)
            if g is not None:
                seen.add(g.hash)
                cands.append(g)
        if not cands:
            return []
        fit = sorted(self.data.items())  # by hash: the fit depends on the set, not the tell order
        model = create_surrogate("mlp_ensemble", self.space, seed=self.seed * 7919 + self.rounds,
                                 members=self.members, cache=self._features, proxy=self._proxy)
        model.fit([g for _, (g, _) in fit], np.array([v for _, (_, v) in fit]))
        mean, std = model.predict(cands)
        if self.acquisition == "its":
            score = rng.normal(mean, np.maximum(std, 1e-9))
        elif self.acquisition == "ucb":
            score = mean + self.kappa * std
        else:
            score = mean
        order = np.argsort(-score, kind="stable")[:self.batch]
        return [(cands[int(i)], float(mean[int(i)])) for i in order]

    def resumed(self, n_replayed: int) -> None:
        super().resumed(n_replayed)
        self.plan = []

    def summary(self) -> dict:
        return {**super().summary(), "rounds": self.rounds, "proxy_feature": self._proxy is not None}
