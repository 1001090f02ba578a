"""The sections of a search config that other layers read on their own: the final phase's settings
(`FinalSettings`, `final_epochs`) and the constraints (`Limits`), validated once (YAML `final:` /
`constraints:`, flags `--final-top/--final-epochs/--final-seeds/--final-budget`, `--max-latency-ms/
--max-params/--max-macs`), so a bad value is one line before anything is written.

They sit below `nasx.config`, the search driver (`nasx.execute`), `nasx.premeasure` and the final
phase (`nasx.final`), which all read them; none of those is imported from here."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from .budget import Budget
from .errors import ConfigError

FINAL_KEYS = ("top", "epochs", "seeds", "budget")
LIMIT_KEYS = {"max_latency_ms": "latency_ms", "max_params": "params", "max_macs": "macs"}


@dataclass(frozen=True)
class FinalSettings:
    """top K distinct found architectures + every baseline, each trained `seeds` times for `epochs`
    (None: the baselines' epochs, else the search's); `budget` None: the cost is reserved from the
    search's budget instead."""

    top: int = 0
    epochs: int | None = None
    seeds: int = 1
    budget: str | None = None

    @property
    def enabled(self) -> bool:
        return self.top > 0

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def parse(cls, raw: dict | None) -> FinalSettings:
        raw = dict(raw or {})
        unknown = sorted(set(raw) - set(FINAL_KEYS))
        if unknown:
            raise ConfigError(f"final: unknown key(s) {', '.join(unknown)}; known: {', '.join(FINAL_KEYS)}",
                              keys=("final",))
        top = raw.get("top", 0)
        if not _whole(top) or top < 0:
            raise ConfigError(f"final_top must be a whole number >= 0, got {top!r}", keys=("final_top",))
        if top == 0 and any(raw.get(k) is not None for k in ("epochs", "seeds", "budget")):
            given = ", ".join(f"final_{k}" for k in ("epochs", "seeds", "budget") if raw.get(k) is not None)
            raise ConfigError(f"{given} given but final_top is 0 (no final phase); set final_top to the number "
                              "of found architectures to retrain", keys=("final_top",))
        epochs, seeds = raw.get("epochs"), raw.get("seeds", 1)
        if epochs is not None and (not _whole(epochs) or epochs < 1):
            raise ConfigError(f"final_epochs must be a whole number >= 1, got {epochs!r}", keys=("final_epochs",))
        if seeds is None:
            seeds = 1
        if not _whole(seeds) or seeds < 1:
            raise ConfigError(f"final_seeds must be a whole number >= 1, got {seeds!r}", keys=("final_seeds",))
        budget = raw.get("budget")
        if budget is not None:
            b = Budget.parse(str(budget))
            if b.trials is not None:
                raise ConfigError(f"final_budget {budget!r}: give device time (e.g. 1cpu-h, 30min), not trials",
                                  keys=("final_budget",))
            budget = str(budget)
        return cls(int(top), None if epochs is None else int(epochs), int(seeds), budget)


def final_epochs(settings: FinalSettings, cfg) -> int:
    """The final protocol's epochs: as given, else the baselines' epochs, else the search's (cfg: the
    run's resolved config as a dict)."""
    return int(settings.epochs or cfg.get("baseline_epochs") or cfg.get("epochs") or 1)


@dataclass(frozen=True)
class Limits:
    """Constraints checked before a candidate trains: metric name -> upper limit."""

    latency_ms: float | None = None
    params: int | None = None
    macs: int | None = None

    @property
    def any(self) -> bool:
        return any(v is not None for v in (self.latency_ms, self.params, self.macs))

    def to_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v is not None}

    @classmethod
    def parse(cls, raw: dict | None) -> Limits:
        raw = dict(raw or {})
        unknown = sorted(set(raw) - set(LIMIT_KEYS))
        if unknown:
            raise ConfigError(f"constraints: unknown key(s) {', '.join(unknown)}; known: {', '.join(LIMIT_KEYS)}",
                              keys=("constraints",))
        out = {}
        for key, metric in LIMIT_KEYS.items():
            v = raw.get(key)
            if v is None:
                continue
            ok = isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and v > 0
            if not ok:
                raise ConfigError(f"{key} must be a positive number, got {v!r}", keys=(key,))
            out[metric] = float(v) if metric == "latency_ms" else int(v)
        return cls(**out)

    def violations(self, measured: dict) -> list[str]:
        """'latency_ms 0.213 > limit 0.150' for each limit the measured values break."""
        out = []
        for metric, limit in asdict(self).items():
            value = measured.get(metric)
            if limit is not None and value is not None and value > limit:
                out.append(f"{metric} {value:.4g} > limit {limit:.4g}")
        return out


def _whole(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and float(v).is_integer()
