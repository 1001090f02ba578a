"""Trial runners: a proposal names its runner as data (`meta["runner"]`), `run_trial` resolves it here.

Only the runners listed in `RUNNERS` can run: a name read back from a journal or a Ray config is
data, never an import path to follow. `ALIASES` keeps run directories written before the runner
names were import paths ("train", "enas") resumable.
"""

from __future__ import annotations

import importlib

from ..errors import ConfigError

TRAIN = "nasx.execute.trial:train_trial"
ENAS = "nasx.enas.runner:run_enas"
RUNNERS: frozenset[str] = frozenset({TRAIN, ENAS})  # "module:function", each fn(spec: TrialSpec, report)
ALIASES: dict[str, str] = {"train": TRAIN, "enas": ENAS}  # the names journals of nasx < 0.15 hold


def canonical(name: str | None) -> str:
    """The allow-listed "module:function" of a runner name (None: the default trainer)."""
    target = ALIASES.get(name or "train", name)
    if target not in RUNNERS:
        raise ConfigError(f"unknown trial runner {name!r}; known: {', '.join(sorted(RUNNERS | set(ALIASES)))}")
    return target


def runner_of(meta: dict | None) -> str:
    """The canonical runner a proposal's (or a journaled trial's) meta names."""
    return canonical((meta or {}).get("runner"))


def trains_one_candidate(meta: dict | None) -> bool:
    """Whether the trial trains exactly its proposal's genotype (so an equal proposal is a repeat)."""
    return runner_of(meta) == TRAIN


def resolve(name: str | None):
    mod, attr = canonical(name).split(":")
    return getattr(importlib.import_module(mod), attr)
