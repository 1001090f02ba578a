"""Regularized (aging) evolution, Real et al. 2019: tournament selection, one mutation, and the
oldest member dies. The first `population` trials are random samples (or the enqueued seeds)."""

from __future__ import annotations

from collections import deque

from ..spaces import RandomChooser
from .base import Strategy
from .registry import register_strategy


@register_strategy("evolution")
class RegularizedEvolution(Strategy):
    def __init__(self, space, population: int = 20, sample_size: int = 5, **kw):
        super().__init__(space, **kw)
        self.population_size, self.sample_size = population, sample_size
        self.population: deque = deque()  # (genotype, fitness) oldest first

    def _propose(self):
        if len(self.history) + len(self.pending) < self.population_size or not self.population:
            return self.space.sample(RandomChooser(self.rng))
        k = min(self.sample_size, len(self.population))
        contenders = self.rng.sample(list(self.population), k)
        parent = max(contenders, key=lambda gf: gf[1])[0]
        return self.space.mutate(parent, self.rng), {}, {"parent": parent.hash}

    def _learn(self, proposal, result):
        fit = self.fitness(result)
        fitness = fit if fit is not None else float("-inf")  # failed children still age the population
        self.population.append((proposal.genotype, fitness))
        while len(self.population) > self.population_size:
            self.population.popleft()
