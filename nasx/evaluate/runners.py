"""Trial runners: a proposal names its runner as data (`meta["runner"]`); `run_trial` looks it up here.

Only registered runners can run: a name read back from a journal or a Ray config is data, never an
import path to follow. Task kinds register the runner that trains one of their candidates (image
classification: "train"); plug-ins register theirs (ENAS: "enas", the whole one-shot search as one
trial). `ALIASES` keeps run directories of older versions resumable: their journals hold the import
paths and short names runners had then.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..errors import ConfigError
from ..registry import Registry

DEFAULT = "train"
ALIASES: dict[str, str] = {  # names older journals hold -> registered name
    "nasx.execute.trial:train_trial": "train",
    "nasx.enas.runner:run_enas": "enas",
}


@dataclass(frozen=True)
class Runner:
    """`fn(spec: TrialSpec, report) -> TrialOutcome`. `trains_one_candidate`: the trial trains exactly
    its proposal's genotype, so an equal proposal is a repeat and its time per epoch estimates
    the final phase's (a one-shot search is neither)."""

    name: str
    fn: Callable
    trains_one_candidate: bool = True


RUNNERS: Registry[Runner] = Registry("trial runner")


def register_runner(name: str, *, trains_one_candidate: bool = True):
    """Decorator: register `fn(spec, report) -> TrialOutcome` as the runner `name` (a taken name is
    a DuplicateName naming both modules)."""
    def deco(fn):
        RUNNERS.add(name, Runner(name, fn, trains_one_candidate), origin=fn.__module__)
        return fn
    return deco


def canonical(name: str | None) -> str:
    """The registered name of a runner name (None: the default trainer); ConfigError if unknown."""
    target = ALIASES.get(name or DEFAULT, name or DEFAULT)
    if target not in RUNNERS:
        raise ConfigError(f"unknown trial runner {name!r}; known: {', '.join(RUNNERS.names())}")
    return target


def get_runner(name: str | None) -> Runner:
    return RUNNERS[canonical(name)]


def runner_of(meta: dict | None) -> str:
    """The registered runner a proposal's (or a journaled trial's) meta names."""
    return canonical((meta or {}).get("runner"))


def trains_one_candidate(meta: dict | None) -> bool:
    """Whether the trial trains exactly its proposal's genotype. Never raises: a journal may name a
    runner this version does not know; such a trial is no repeat."""
    name = (meta or {}).get("runner") or DEFAULT
    runner = RUNNERS.get(ALIASES.get(name, name))
    return runner is not None and runner.trains_one_candidate
