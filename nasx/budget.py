"""Search budgets: `100gpu-h`, `2cpu-h`, `90min`, `500trials`, combinable with `,` or `+`.

A device budget counts device-seconds actually spent by trials: a trial's wall time times the
devices it holds (fractional GPUs count as held: 0.5 GPU for 60 s is 30 GPU-seconds). A wall
budget counts the search's own wall clock. The search stops launching trials when the next one
would overrun any limit (`Budget.allows`), then lets running trials finish.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass

from .errors import ConfigError

_UNIT_SECONDS = {"h": 3600.0, "hr": 3600.0, "hour": 3600.0, "hours": 3600.0, "min": 60.0, "m": 60.0,
                 "s": 1.0, "sec": 1.0}
_TERM = re.compile(r"^(?P<num>[0-9]*\.?[0-9]+)\s*(?P<dev>gpu|cpu)?-?(?P<unit>[a-z]+)$")


@dataclass(frozen=True)
class Budget:
    gpu_seconds: float | None = None
    cpu_seconds: float | None = None
    wall_seconds: float | None = None
    trials: int | None = None
    text: str = ""

    @classmethod
    def parse(cls, text: str) -> Budget:
        """Parse e.g. '100gpu-h', '2cpu-h+90min', '500trials'; a one-line ConfigError otherwise."""
        if not isinstance(text, str) or not text.strip():
            raise ConfigError("budget is empty; use e.g. 100gpu-h, 2cpu-h, 90min or 500trials")
        found: dict[str, float] = {}
        for raw in re.split(r"[,+]", text.strip().lower()):
            term = raw.strip().replace(" ", "")
            m = _TERM.match(term)
            if not m:
                raise ConfigError(f"budget term {raw.strip()!r} is not understood; use a positive number with "
                                  "gpu-h, cpu-h, gpu-min, cpu-min, h, min, s or trials (e.g. 100gpu-h)")
            num, dev, unit = float(m.group("num")), m.group("dev"), m.group("unit")
            if unit in ("trial", "trials"):
                if dev or num != int(num):
                    raise ConfigError(f"budget term {raw.strip()!r}: trials must be a whole number, e.g. 500trials")
                key, value = "trials", num
            elif unit in _UNIT_SECONDS:
                key, value = (f"{dev}_seconds" if dev else "wall_seconds"), num * _UNIT_SECONDS[unit]
            else:
                raise ConfigError(f"budget term {raw.strip()!r}: unknown unit {unit!r}; "
                                  "use h, min, s (with gpu- or cpu-) or trials")
            if not (value > 0 and math.isfinite(value)):
                raise ConfigError(f"budget term {raw.strip()!r} must be positive")
            if key in found:
                raise ConfigError(f"budget {text!r} gives {key.replace('_', ' ')} twice")
            found[key] = value
        if "trials" in found:
            found["trials"] = int(found["trials"])
        return cls(**found, text=text.strip())

    def to_dict(self) -> dict:
        return asdict(self)

    def describe(self) -> str:
        parts = []
        if self.gpu_seconds is not None:
            parts.append(f"{self.gpu_seconds / 3600:g} GPU-h")
        if self.cpu_seconds is not None:
            parts.append(f"{self.cpu_seconds / 3600:g} CPU-h")
        if self.wall_seconds is not None:
            parts.append(f"{self.wall_seconds / 60:g} min wall")
        if self.trials is not None:
            parts.append(f"{self.trials} trials")
        return " + ".join(parts)


@dataclass
class Spend:
    """What has been spent so far (persisted with the run)."""

    gpu_seconds: float = 0.0
    cpu_seconds: float = 0.0
    wall_seconds: float = 0.0
    trials: int = 0

    def add_trial(self, wall: float, cpus: float, gpus: float) -> None:
        self.gpu_seconds += wall * gpus
        self.cpu_seconds += wall * cpus
        self.trials += 1

    def to_dict(self) -> dict:
        return asdict(self)


def trial_device_seconds(wall: float, cpus: float, gpus: float) -> float:
    """The primary device-seconds of a trial: GPU-seconds when it holds GPUs, else CPU-seconds."""
    return wall * (gpus if gpus > 0 else cpus)


def allows(budget: Budget, spent: Spend, running: int, next_cost: tuple[float, float, float] | None,
           wall_elapsed: float, cpus: float, gpus: float) -> tuple[bool, str]:
    """May one more trial start? `next_cost` = (wall, cpus, gpus) estimate of a trial, or None
    before any trial finished. Running trials are assumed to cost one estimate each."""
    if budget.trials is not None and spent.trials + running >= budget.trials:
        return False, "trial budget reached"
    est_wall = next_cost[0] if next_cost else 0.0
    ahead = running + 1
    if budget.gpu_seconds is not None and gpus > 0 and \
            spent.gpu_seconds + ahead * est_wall * gpus > budget.gpu_seconds:
        return False, "GPU budget reached"
    if budget.cpu_seconds is not None and spent.cpu_seconds + ahead * est_wall * cpus > budget.cpu_seconds:
        return False, "CPU budget reached"
    if budget.wall_seconds is not None and wall_elapsed + est_wall > budget.wall_seconds:
        return False, "wall-clock budget reached"
    return True, ""
