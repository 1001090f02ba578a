"""Random search: independent uniform samples through the space's chooser (no duplicates)."""

from __future__ import annotations

from ..spaces import RandomChooser
from .base import Strategy
from .registry import register_strategy


@register_strategy("random")
class RandomSearch(Strategy):
    def _propose(self):
        seen = {g.hash for g, _ in self.history} | {p.genotype.hash for p in self.pending.values()}
        for _ in range(100):
            g = self.space.sample(RandomChooser(self.rng))
            if g.hash not in seen:
                return g
        return g
