"""The `enas` strategy: one proposal whose trial runs the whole ENAS search.

The proposal names its runner as data (`meta["runner"]`, checked against the executor's allow-list
in `nasx.execute.runners`); the strategy never imports the executor. Its genotype is a placeholder
sample of the space: the runner reports the architecture it derived, which the driver journals.
The ENAS options travel in the proposal's meta.
"""

from __future__ import annotations

from ..enas.options import EnasOptions
from ..enas.supernet import SUPERNETS
from ..errors import ConfigError
from ..spaces import RandomChooser
from .base import Strategy
from .registry import register_strategy

RUNNER = "nasx.enas.runner:run_enas"  # the trial runner, by name: data in the proposal, not an import


@register_strategy("enas")
class EnasStrategy(Strategy):
    def __init__(self, space, seed=0, objectives=("val_acc",), max_trials=None, seeds=None, **options):
        self.enas = EnasOptions.from_dict(options)
        super().__init__(space, seed=seed, objectives=objectives, max_trials=max_trials)
        if space is not None and space.kind not in SUPERNETS:
            raise ConfigError(f"strategy enas: no supernet for space kind {space.kind!r} "
                              f"({', '.join(SUPERNETS)})")

    @property
    def finished(self) -> bool:
        return self.asked >= 1 or super().finished

    def _propose(self):
        return self.space.sample(RandomChooser(self.rng)), {}, {"runner": RUNNER, "enas": self.enas.to_dict()}
