"""Executors by name: each one owns its setup (start or join what runs trials, count the GPUs,
its own metrics) and its loop, so `run_search` only says `create_executor(cfg.executor, cfg)`.

    ex = create_executor("ray", cfg)
    notes = ex.start()                  # lines to tell the user (the dashboard URL...)
    gpus = ex.gpus_per_trial()          # the config's value, or the executor's default share
    driver = SearchDriver(cfg, run, gpus, listeners=[..., *ex.listeners(run.path.name)])
    ex.run(driver, round_no)
"""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod

from ..errors import ConfigError
from ..registry import Registry

EXECUTORS: Registry[str] = Registry("executor")  # name -> "module:class", imported only when chosen (ray is heavy)
EXECUTORS.add("inprocess", "nasx.execute.inprocess:InProcessExecutor", origin=__name__)
EXECUTORS.add("ray", "nasx.execute.ray_tune:RayExecutor", origin=__name__)


class Executor(ABC):
    """One way of running a search's trials."""

    default_gpu_share = 1.0  # GPUs per trial when the config does not say and GPUs exist

    def __init__(self, cfg):
        self.cfg = cfg
        self.dashboard: str | None = None

    def start(self) -> list[str]:
        """Start or join what runs the trials; returns lines worth telling the user."""
        return []

    @abstractmethod
    def cluster_gpus(self) -> float:
        """GPUs the trials can be placed on."""

    def gpus_per_trial(self) -> float:
        have = self.cluster_gpus()
        gpus = self.cfg.gpus_per_trial
        if gpus is None:
            gpus = self.default_gpu_share if have > 0 else 0.0
        if gpus > 0 and have <= 0:
            raise ConfigError(f"gpus_per_trial {gpus:g} but the cluster has no GPU; set gpus_per_trial 0",
                              keys=("gpus_per_trial",))
        return float(gpus)

    def listeners(self, run_id: str) -> list:
        """Extra `fn(driver)` listeners this executor feeds (e.g. Ray metrics)."""
        return []

    @abstractmethod
    def run(self, driver, round_no: int) -> None:
        """Launch the driver's trials until it says FINISHED; record every outcome."""


def executor_names() -> list[str]:
    return EXECUTORS.names()


def create_executor(name: str, cfg) -> Executor:
    if name not in EXECUTORS:
        raise ConfigError(f"executor must be one of {', '.join(executor_names())}, got {name!r}", keys=("executor",))
    mod, attr = EXECUTORS[name].split(":")
    return getattr(importlib.import_module(mod), attr)(cfg)
