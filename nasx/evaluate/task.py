"""`Task`: the training protocol a candidate is evaluated under (one object, so results compare)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

import torch

from ..errors import ConfigError
from .schedule import SCHEDULES

DEVICES = ("auto", "cpu", "cuda")


@dataclass
class Task:
    """Data spec + optimisation hyper-parameters + execution options of one candidate evaluation.

    warmup is in epochs (fractions allowed); max_train subsamples the training split (a fidelity
    knob); amp (bf16 autocast) and channels_last only take effect on CUDA.

    Final-training knobs (all off by default, so searches behave as before): `cutout` (side in px
    of the square cut from each training image after crop/flip), `drop_path` (the final drop-path
    probability, scheduled linearly from 0: epoch e of E runs with drop_path * (e - 1) / E; needs a
    network with a `drop_path_prob` attribute), `auxiliary_weight` (loss = CE(logits) +
    auxiliary_weight * CE(aux_logits) when the network returns (logits, aux_logits) in training),
    `lr_gamma` (per-epoch multiplier of the "exponential" schedule: epoch e runs at lr * gamma^(e-1)).
    """

    data: str = "digits"
    epochs: int = 10
    batch_size: int = 128
    lr: float = 0.05
    momentum: float = 0.9
    nesterov: bool = True
    weight_decay: float = 5e-4
    label_smoothing: float = 0.1
    schedule: str = "cosine"
    warmup: float = 0.0
    seed: int = 0
    device: str = "auto"
    compile: bool = False
    val_fraction: float = 0.1
    max_train: int | None = None
    amp: bool = True
    channels_last: bool = True
    grad_clip: float | None = 5.0
    latency: bool = True
    bn_recalibrate: int = 8  # train batches that re-estimate BN statistics before each evaluation
    cutout: int = 0
    drop_path: float = 0.0
    auxiliary_weight: float = 0.0
    lr_gamma: float = 0.97

    def __post_init__(self):
        self.validate()

    def validate(self) -> None:
        checks = [
            (self.epochs >= 1, f"epochs must be >= 1, got {self.epochs}"),
            (self.batch_size >= 1, f"batch_size must be >= 1, got {self.batch_size}"),
            (self.lr > 0, f"lr must be > 0, got {self.lr}"),
            (0 <= self.momentum < 1, f"momentum must be in [0, 1), got {self.momentum}"),
            (self.weight_decay >= 0, f"weight_decay must be >= 0, got {self.weight_decay}"),
            (0 <= self.label_smoothing < 1, f"label_smoothing must be in [0, 1), got {self.label_smoothing}"),
            (self.schedule in SCHEDULES, f"schedule {self.schedule!r} unknown; known: {', '.join(SCHEDULES)}"),
            (0 <= self.warmup <= self.epochs, f"warmup must be between 0 and epochs, got {self.warmup}"),
            (self.device in DEVICES, f"device {self.device!r} unknown; known: {', '.join(DEVICES)}"),
            (0 < self.val_fraction < 1, f"val_fraction must be in (0, 1), got {self.val_fraction}"),
            (self.max_train is None or self.max_train >= 1, f"max_train must be >= 1, got {self.max_train}"),
            (self.grad_clip is None or self.grad_clip >= 0, f"grad_clip must be >= 0, got {self.grad_clip}"),
            (self.bn_recalibrate >= 0, f"bn_recalibrate must be >= 0, got {self.bn_recalibrate}"),
            (self.cutout >= 0, f"cutout must be >= 0 pixels, got {self.cutout}"),
            (0 <= self.drop_path < 1, f"drop_path must be in [0, 1), got {self.drop_path}"),
            (self.auxiliary_weight >= 0, f"auxiliary_weight must be >= 0, got {self.auxiliary_weight}"),
            (0 < self.lr_gamma <= 1, f"lr_gamma must be in (0, 1], got {self.lr_gamma}"),
        ]
        for ok, message in checks:
            if not ok:
                raise ConfigError(f"task: {message}")

    @classmethod
    def from_dict(cls, d: dict | None) -> Task:
        """Build from a YAML/JSON mapping; unknown keys and ill-typed values are a ConfigError."""
        d = dict(d or {})
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(set(d) - set(known))
        if unknown:
            raise ConfigError(f"task: unknown key(s) {', '.join(unknown)}; known: {', '.join(known)}")
        defaults = cls()
        out = {}
        for key, value in d.items():
            out[key] = _coerce(key, value, getattr(defaults, key))
        return cls(**out)

    def to_dict(self) -> dict:
        return asdict(self)

    def resolved_device(self) -> torch.device:
        return resolve_device(self.device)


def coerce_setting(key: str, value, default, nullable: dict | None = None, keys: tuple = ()):
    """Coerce a config value to the type of its default (YAML "1e-3" strings, ints for floats...);
    `nullable`: the keys that may be null, with the type a value of theirs takes. Shared by every
    task kind's protocol class (Task, nasx.lm.LMTask)."""
    nullable = nullable or {}
    if value is None:
        if key in nullable:
            return None
        raise ConfigError(f"task: {key} may not be null", keys=keys)
    kind = type(default) if default is not None else nullable.get(key, float)
    try:
        if kind is bool:
            if isinstance(value, bool):
                return value
            if str(value).lower() in ("true", "yes", "1", "on", "false", "no", "0", "off"):
                return str(value).lower() in ("true", "yes", "1", "on")
            raise ValueError(value)
        if kind is int and (isinstance(value, bool) or isinstance(value, float) and not value.is_integer()):
            raise ValueError(value)
        return kind(value) if kind is not int else int(float(value))
    except (TypeError, ValueError):
        raise ConfigError(f"task: {key}={value!r} is not a valid {kind.__name__}", keys=keys) from None


def _coerce(key: str, value, default):
    return coerce_setting(key, value, default, {"max_train": int, "grad_clip": float})


def resolve_device(name: str | torch.device) -> torch.device:
    """'auto' -> cuda when available, else cpu; 'cuda' without a GPU is a ConfigError."""
    name = str(name)
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError("task: device 'cuda' requested but no CUDA GPU is available (use device: auto)")
    return torch.device(name)
