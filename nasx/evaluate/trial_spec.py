"""`TrialSpec`: everything one trial needs, from the driver to whichever worker runs it.

Typed and versioned so that the driver and the runners (the default trainer, ENAS's one-shot
search) agree on one shape; the task is merged with the proposal's fidelity once, here, when the
spec is built, so no runner merges it again. `to_dict`/`from_dict` carry it through Ray Tune's
config (plain data); `from_dict` also reads the untyped dicts of version 0 (before this class).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields

from ..errors import ConfigError

SPEC_VERSION = 1


@dataclass(frozen=True)
class TrialSpec:
    trial_id: str
    genotype: dict  # the proposal's genotype (ENAS: a placeholder; the runner reports what it derived)
    task: dict  # Task fields, the proposal's fidelity already applied
    runner: str = "train"  # a name in nasx.execute.runners.RUNNERS (resolved there, never imported freely)
    meta: dict = field(default_factory=dict)  # the proposal's meta (e.g. ENAS options)
    network: dict = field(default_factory=dict)
    run_dir: str = ""
    keep_weights: bool = False
    cpus: float = 1.0
    gpus: float = 0.0
    budget_left: dict = field(default_factory=dict)  # seconds left per limit, for runners that pace themselves
    # before training: deployment latency {runtime, batch, threads} and constraints {limits: {metric: max}}
    measure: dict = field(default_factory=dict)
    version: int = SPEC_VERSION

    @classmethod
    def build(cls, *, task: dict, fidelity: dict | None = None, **kw) -> TrialSpec:
        """The one place the run's task and a proposal's fidelity are merged."""
        return cls(task={**task, **(fidelity or {})}, **kw)

    @property
    def epochs(self) -> int:
        return int(self.task.get("epochs", 1))

    def make_task(self):
        from .task import Task

        return Task.from_dict(self.task)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> TrialSpec:
        d = dict(d)
        version = int(d.pop("version", 0))
        if version > SPEC_VERSION:
            raise ConfigError(f"trial spec version {version} is newer than this nasx reads ({SPEC_VERSION}); "
                              "run the same nasx version on every node")
        if version == 0:  # the untyped dict: task and fidelity still separate
            d["task"] = {**d.get("task", {}), **(d.pop("fidelity", None) or {})}
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in known})
