"""The `enas` strategy: a single proposal whose trial runs the whole ENAS search (runner "enas").

Its genotype is a placeholder sample of the space; the runner reports the derived architecture,
which the driver records in the journal. The options travel in the proposal's meta.
"""

from __future__ import annotations

import sys

from ..errors import ConfigError
from ..spaces import RandomChooser
from ..strategies.base import Strategy
from ..strategies.registry import register_strategy
from .options import EnasOptions


def register_enas_runner() -> None:
    """Make trial runner "enas" known to `run_trial` (idempotent)."""
    from ..execute.trial import register_runner

    register_runner("enas", "nasx.enas.runner:run_enas")


# Imported while nasx.execute loads (Ray workers, direct run_trial users): register now. Imported
# first through nasx.config (the CLI), importing nasx.execute here would re-enter the half-built
# nasx.config, so the strategy registers when it is constructed instead (always in the driver).
if "nasx.execute" in sys.modules:
    register_enas_runner()


@register_strategy("enas")
class EnasStrategy(Strategy):
    def __init__(self, space, seed=0, objectives=("val_acc",), max_trials=None, seeds=None, **options):
        self.enas = EnasOptions.from_dict(options)
        register_enas_runner()
        super().__init__(space, seed=seed, objectives=objectives, max_trials=max_trials)
        if space is not None and space.kind not in ("cells", "nb201", "macro"):
            raise ConfigError(f"strategy enas: no supernet for space kind {space.kind!r} (cells, nb201, macro)")

    @property
    def finished(self) -> bool:
        return self.asked >= 1 or super().finished

    def _propose(self):
        return self.space.sample(RandomChooser(self.rng)), {}, {"runner": "enas", "enas": self.enas.to_dict()}
