"""Local search (White et al., "Local search is state of the art for NAS benchmarks", 2021): after
`init` random cells, propose an unvisited one-decision neighbour of the best cell so far (by the
first objective); when the best cell's neighbourhood is used up, a random restart.

Its proposals are cheap to make and to discard, so `--prescreen PROXY:N` turns each step into
"the neighbour with the best proxy score among N", the NAS-Bench-201 recipe of issue #17.
"""

from __future__ import annotations

from ..errors import ConfigError
from ..spaces import RandomChooser
from .base import Strategy
from .pnas import neighbours
from .registry import register_strategy


@register_strategy("local")
class LocalSearch(Strategy):
    def __init__(self, space, init: int = 10, **kw):
        super().__init__(space, **kw)
        if isinstance(init, bool) or not isinstance(init, int) or init < 1:
            raise ConfigError(f"strategy local: init must be an integer >= 1, got {init!r}")
        self.init = init
        self.best = None  # (value, genotype) of the best told cell
        self._hood: tuple[str, list] | None = None  # (hash of the centre, its neighbours)

    def _learn(self, proposal, result):
        fit = self.fitness(result)
        if fit is not None and (self.best is None or fit > self.best[0]):
            self.best = (fit, proposal.genotype)

    def _taken(self) -> set:
        return {g.hash for g, _ in self.history} | {p.genotype.hash for p in self.pending.values()}

    def _random(self, taken):
        for _ in range(100):
            g = self.space.sample(RandomChooser(self.rng))
            if g.hash not in taken:
                return g
        return g

    def _propose(self):
        taken = self._taken()
        if len(self.history) + len(self.pending) < self.init or self.best is None:
            return self._random(taken)
        centre = self.best[1]
        if self._hood is None or self._hood[0] != centre.hash:
            self._hood = (centre.hash, neighbours(self.space, centre))
        free = [g for g in self._hood[1] if g.hash not in taken]
        if not free:  # a local optimum: restart somewhere new
            return self._random(taken), {}, {"restart": True}
        return self.rng.choice(free), {}, {"centre": centre.hash}
