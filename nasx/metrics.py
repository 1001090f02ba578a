"""Metric names and their directions: one table that ranking, objectives, pictures and verdicts read.

A task kind (`nasx.tasks`) registers its own quality metrics (image classification: `val_acc` max,
`test_acc` max; a language model: `val_bpc` min; a generator: `fd` min); the costs every kind shares
(parameters, MACs, latency, memory, device time) are registered here. Nothing else in nasx knows
whether bigger is better: it asks `metric(name)`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .errors import ConfigError
from .registry import Registry

DIRECTIONS = ("max", "min")


@dataclass(frozen=True)
class Metric:
    """`direction`: "max" (higher is better) or "min"; `label`: how tables and axes name it;
    `fraction`: a value in [0, 1] printed as a percentage (accuracies)."""

    name: str
    direction: str
    label: str = ""
    fraction: bool = False

    def __post_init__(self):
        if self.direction not in DIRECTIONS:
            raise ConfigError(f"metric {self.name!r}: direction must be max or min, got {self.direction!r}")

    @property
    def optuna_direction(self) -> str:
        return "maximize" if self.direction == "max" else "minimize"

    @property
    def title(self) -> str:
        return self.label or self.name

    def valid(self, value) -> bool:
        return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)

    def signed(self, value: float) -> float:
        """The value with higher = better (what single-objective strategies compare)."""
        return float(value) if self.direction == "max" else -float(value)

    def worst(self) -> float:
        """A value worse than any real one (failed candidates in a sort)."""
        return -math.inf if self.direction == "max" else math.inf

    def best_first(self, value) -> float:
        """Sort key putting the best value first and missing / non-finite values last."""
        return -self.signed(value) if self.valid(value) else math.inf

    def better(self, a, b) -> bool:
        """Whether `a` beats `b` (a missing `b` is beaten by any valid `a`)."""
        if not self.valid(a):
            return False
        return not self.valid(b) or self.signed(a) > self.signed(b)

    def format(self, value, digits: int = 4) -> str:
        if not self.valid(value):
            return "-"
        return f"{value:.{digits}f}"


METRICS: Registry[Metric] = Registry("metric")


def register_metric(metric: Metric, origin: str | None = None) -> Metric:
    """Register a metric (a taken name is a DuplicateName naming both modules)."""
    return METRICS.add(metric.name, metric, origin=origin)


def metric(name: str) -> Metric:
    """The registered metric `name` (ConfigError listing the known ones otherwise)."""
    return METRICS.get_or_error(name)


# costs and measurements every task kind shares
for _m in (Metric("params", "min", "params"), Metric("macs", "min", "MACs"),
           Metric("latency_ms", "min", "latency ms"), Metric("latency_ms_b1", "min", "latency b1 ms"),
           Metric("latency_ms_b64", "min", "latency b64 ms"), Metric("peak_mem_bytes", "min", "peak memory"),
           Metric("device_seconds", "min", "device-s"), Metric("wall_seconds", "min", "wall-s"),
           Metric("train_loss", "min", "train loss"), Metric("val_loss", "min", "val loss")):
    register_metric(_m, origin=__name__)
