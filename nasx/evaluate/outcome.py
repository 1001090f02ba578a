"""`TrialOutcome`: what one trial hands back, the mirror of `TrialSpec`.

Every runner (the default trainer, ENAS's one-shot search, a table lookup, a plug-in task's trainer)
returns one; it crosses Ray Tune as plain data (`to_dict` / `from_dict`) and the driver journals it.
The device-seconds of a trial are computed here (`device_seconds`, by `nasx.budget`'s one rule), and so is the
build record a reader of the run rebuilds the network from (`build`).
"""

from __future__ import annotations

import os
import socket
from dataclasses import asdict, dataclass, field, fields
from enum import StrEnum

from ..budget import trial_device_seconds
from ..errors import ConfigError

OUTCOME_VERSION = 1


class Status(StrEnum):
    """ok: trained and measured; failed: the candidate broke (NaN, OOM, an exception) or the worker
    died; stopped: cut short by a scheduler (ASHA); rejected: over a constraint, never trained."""

    OK = "ok"
    FAILED = "failed"
    STOPPED = "stopped"
    REJECTED = "rejected"


def this_worker() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class TrialOutcome:
    status: Status
    reason: str | None = None
    metrics: dict = field(default_factory=dict)
    wall_seconds: float = 0.0
    cpus: float = 1.0
    gpus: float = 0.0
    worker: str = ""
    weights: str | None = None  # path of the trained weights, relative to the run directory
    build: dict = field(default_factory=dict)  # what a reader needs to rebuild the trained network
    genotype: dict | None = None  # the architecture evaluated, when the runner derived it (one-shot)
    version: int = OUTCOME_VERSION

    def __post_init__(self):
        try:
            self.status = Status(self.status)
        except ValueError:
            raise ConfigError(f"trial outcome: unknown status {self.status!r}; "
                              f"known: {', '.join(s.value for s in Status)}") from None

    @property
    def ok(self) -> bool:
        return self.status is Status.OK

    @property
    def device_seconds(self) -> float:
        return trial_device_seconds(self.wall_seconds, self.cpus, self.gpus)

    @classmethod
    def failed(cls, reason: str, **kw) -> TrialOutcome:
        return cls(Status.FAILED, reason, **kw)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["status"] = self.status.value
        d["device_seconds"] = self.device_seconds
        return d

    @classmethod
    def from_dict(cls, d: dict) -> TrialOutcome:
        d = dict(d)
        version = int(d.pop("version", 0) or 0)
        if version > OUTCOME_VERSION:
            raise ConfigError(f"trial outcome version {version} is newer than this nasx reads "
                              f"({OUTCOME_VERSION}); run the same nasx version on every node")
        known = {f.name for f in fields(cls)}
        out = cls(**{k: v for k, v in d.items() if k in known and k != "version"})
        out.metrics = dict(out.metrics or {})
        out.build = dict(out.build or {})
        return out

    @classmethod
    def coerce(cls, value) -> TrialOutcome:
        """A TrialOutcome from a runner's return value (an outcome, or the plain dict of older
        plug-in runners)."""
        return value if isinstance(value, TrialOutcome) else cls.from_dict(value)
