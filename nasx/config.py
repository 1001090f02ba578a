"""Search configuration: defaults < YAML file (configs/*.yaml) < command-line flags, validated.

Every `nasx search` flag has a key here of the same name (dashes become underscores). Unknown
keys and ill-typed values are a one-line ConfigError naming the file and key.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

from ._data import data_dir
from .budget import Budget
from .config_sections import FinalSettings, Limits
from .errors import ConfigError
from .evaluate import Task
from .strategies import check_objectives, strategy_names


@dataclass
class SearchConfig:
    space: str = "cells"
    strategy: str = "tpe"
    budget: str = "20trials"
    data: str | None = None  # None: the task kind's default data (digits for images)
    objectives: list = field(default_factory=list)  # empty: the task kind's objective (val_acc for images)
    task_kind: str | None = None  # None: the space's (nasx.tasks; image-classification for CNN spaces)
    epochs: int = 3
    gpus_per_trial: float | None = None  # None: the executor's share with GPUs (ray 0.25, inprocess 1), else 0
    cpus_per_trial: float = 1.0
    max_concurrent: int | None = None  # None: as many as the resources allow
    seed_arch: list = field(default_factory=list)
    address: str | None = None
    run_dir: str | None = None
    dashboard: bool = True
    seed: int = 0
    executor: str = "ray"  # ray | inprocess
    asha: bool = False
    asha_grace: int = 1
    max_failures: int = 1
    keep_weights: bool = True
    baselines: list = field(default_factory=list)
    allow_repeats: bool = False  # re-train an architecture the run already evaluated (noise estimates)
    baseline_epochs: int | None = None  # None: `epochs`; the same for every baseline
    network: dict = field(default_factory=dict)  # network-shape overrides of the space (channels, ...)
    task: dict = field(default_factory=dict)  # nasx.evaluate.Task fields (lr, batch_size, ...)
    strategy_options: dict = field(default_factory=dict)
    prescreen: str | None = None  # PROXY:N, e.g. synflow:10: each proposal is the best of N by the proxy
    ray_num_cpus: int | None = None  # local Ray only: override the detected resources
    ray_num_gpus: float | None = None
    # the final phase: top K found + baselines retrained under one protocol (nasx.final)
    final: dict = field(default_factory=dict)  # {top, epochs, seeds, budget}
    constraints: dict = field(default_factory=dict)  # {max_latency_ms, max_params, max_macs}
    latency_runtime: str = "auto"  # ort | torch | auto (ort when installed): where latency_ms is measured
    latency_batch: int = 1
    latency_threads: int = 1

    def validate(self) -> SearchConfig:
        from .spaces import get_space

        get_space(self.space)
        if self.strategy not in strategy_names():
            raise ConfigError(f"unknown strategy {self.strategy!r}; choose from {', '.join(strategy_names())}")
        Budget.parse(self.budget)
        from .proxies import parse_prescreen

        parse_prescreen(self.prescreen)
        kind = self.task_kind_obj()
        if isinstance(self.objectives, str):
            self.objectives = self.objectives.split(",")
        self.objectives = check_objectives(self.objectives or [kind.objective], kind)
        if self.data is None:
            self.data = kind.default_data
        kind.check_data(self.data)
        if self.executor not in ("ray", "inprocess"):
            raise ConfigError(f"executor must be ray or inprocess, got {self.executor!r}")
        _positive("epochs", self.epochs, integer=True)
        if self.baseline_epochs is not None:
            _positive("baseline_epochs", self.baseline_epochs, integer=True)
        _positive("cpus_per_trial", self.cpus_per_trial)
        if self.gpus_per_trial is not None and not (0 <= self.gpus_per_trial <= 64):
            raise ConfigError(f"gpus_per_trial must be between 0 and 64, got {self.gpus_per_trial}")
        if self.max_concurrent is not None:
            _positive("max_concurrent", self.max_concurrent, integer=True)
        if not isinstance(self.max_failures, int) or self.max_failures < 0:
            raise ConfigError(f"max_failures must be a non-negative integer, got {self.max_failures!r}")
        if not isinstance(self.allow_repeats, bool):
            raise ConfigError(f"allow_repeats must be true or false, got {self.allow_repeats!r}")
        for key in ("network", "task", "strategy_options", "final", "constraints"):
            if not isinstance(getattr(self, key), dict):
                raise ConfigError(f"{key} must be a mapping")
        if "epochs" in self.task or "data" in self.task:
            raise ConfigError("set epochs and data at the top level, not under task")
        self.make_task()
        from .latency import check_runtime

        FinalSettings.parse(self.final)
        Limits.parse(self.constraints)
        if self.latency_runtime != "auto":
            check_runtime(self.latency_runtime)
        _positive("latency_batch", self.latency_batch, integer=True)
        _positive("latency_threads", self.latency_threads, integer=True)
        for key in ("seed_arch", "baselines"):
            v = getattr(self, key)
            if isinstance(v, str):
                setattr(self, key, [s for s in v.split(",") if s])
            elif not isinstance(v, list):
                raise ConfigError(f"{key} must be a list of names")
        return self

    def task_kind_obj(self):
        """The run's task kind (nasx.tasks): the configured one, else the space's."""
        from .spaces import get_space
        from .tasks import get_task_kind

        return get_task_kind(self.task_kind or get_space(self.space).task_kind)

    def make_task(self) -> Task:
        """The search's training protocol, as the run's task kind reads it (an image Task by default)."""
        data = self.data if self.data is not None else self.task_kind_obj().default_data
        return self.task_kind_obj().make_task({**self.task, "epochs": self.epochs, "data": data, "seed": self.seed})

    def make_baseline_task(self) -> Task:
        """The baselines' protocol: the search's task, with `baseline_epochs` when set (one for all)."""
        data = self.data if self.data is not None else self.task_kind_obj().default_data
        return self.task_kind_obj().make_task({**self.task, "epochs": self.baseline_epochs or self.epochs,
                                               "data": data, "seed": self.seed})

    def final_settings(self) -> FinalSettings:
        return FinalSettings.parse(self.final)

    def limits(self) -> Limits:
        return Limits.parse(self.constraints)

    def latency_settings(self) -> dict:
        """What every trial's deployment-latency measurement runs on (runtime resolved here, once)."""
        from .latency import default_runtime

        runtime = default_runtime() if self.latency_runtime == "auto" else self.latency_runtime
        return {"runtime": runtime, "batch": int(self.latency_batch), "threads": int(self.latency_threads)}

    def to_dict(self) -> dict:
        return asdict(self)


def _positive(key, value, integer=False):
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0
    if integer:
        ok = ok and float(value).is_integer()
    if not ok:
        raise ConfigError(f"{key} must be a positive {'integer' if integer else 'number'}, got {value!r}")


def config_path(name: str) -> Path:
    """A config by path, or by name from the bundled configs/ folder."""
    p = Path(name)
    if p.is_file():
        return p
    cand = data_dir("configs") / (name if name.endswith((".yaml", ".yml")) else f"{name}.yaml")
    if cand.is_file():
        return cand
    known = ", ".join(sorted(q.stem for q in data_dir("configs").glob("*.yaml")))
    raise ConfigError(f"config {name} does not exist (bundled configs: {known})")


def load_config(path: str | None, overrides: dict[str, Any]) -> SearchConfig:
    raw: dict = {}
    where = "command line"
    if path:
        p = config_path(path)
        where = str(p)
        try:
            raw = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            at = f" line {mark.line + 1}" if mark else ""
            raise ConfigError(f"{where}:{at}: malformed YAML: {getattr(exc, 'problem', None) or exc}") from None
        if not isinstance(raw, dict):
            raise ConfigError(f"{where}: expected a mapping of settings")
        raw = {k.replace("-", "_"): v for k, v in raw.items()}
    known = {f.name for f in fields(SearchConfig)}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(unknown)}; known keys: {', '.join(sorted(known))}")
    merged = {**raw, **{k: v for k, v in overrides.items() if v is not None}}
    try:
        cfg = SearchConfig(**merged)
    except TypeError as exc:
        raise ConfigError(f"{where}: {exc}") from None
    try:
        return cfg.validate()
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}" if path else str(exc), keys=exc.keys) from None
