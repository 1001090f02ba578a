"""`make_strategy(cfg, space, ...)`: the search's strategy from its config, beside the registry.

`cfg` is a nasx.config.SearchConfig (read by attribute: strategy, strategy_options, seed, objectives,
seed_arch, network, prescreen, data); it is not imported here, since the config imports the strategies.
"""

from __future__ import annotations

from .prescreen import with_prescreen
from .registry import create_strategy, strategy_class


def make_strategy(cfg, space, run_path=None, max_trials: int | None = None, wrap=None):
    """The search's strategy (pre-screened when the config says so). With `run_path` None a storage
    strategy keeps its study in memory: how a search checks the options before it creates a run
    directory (nasx.search.check_strategy), so a bad option is one line and leaves nothing behind.
    `wrap(strategy) -> strategy` replaces the default prescreen wrapping."""
    kw = dict(cfg.strategy_options)
    cls = strategy_class(cfg.strategy)
    if getattr(cls, "uses_storage", False) and run_path is not None:
        kw.setdefault("storage", f"sqlite:///{run_path / 'optuna.db'}")
    if max_trials is not None:
        kw.setdefault("max_trials", max_trials)
    seeds = [space.seed_genotype(name) for name in cfg.seed_arch]
    net_space = space.with_network(**dict(cfg.network or {}))  # same genotypes; the network trained
    s = create_strategy(cfg.strategy, net_space, seed=cfg.seed, objectives=cfg.objectives, seeds=seeds, **kw)
    if wrap is not None:
        return wrap(s)
    return with_prescreen(s, cfg.prescreen, network=cfg.network, data=cfg.data, seed=cfg.seed)
