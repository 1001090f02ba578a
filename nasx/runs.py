"""The run directory `runs/<run-id>/`: what a search leaves behind, and what resume reads.

    run.json         identity, status (running / finished / interrupted), budget spent
    lock             the writer's flock (pid, host, start time): one writer per run (nasx.runlock)
    config.yaml      the resolved configuration (CLI over YAML over defaults)
    journal.jsonl    append-only, one JSON object per finished trial (fsync'd): the source of truth
    leaderboard.csv  finished trials ranked by the search's objective (the task kind's: val_acc for images)
    best/            genotype.json of the top trials
    trials/<id>/     per-trial files (weights.pt: the trained state_dict, when kept)
    optuna.db        the Optuna study (Optuna strategies)
    plots/           progress.png (best-so-far vs device-hours), pareto.png

A torn last journal line (a kill mid-write) is ignored on read, so a killed run always reopens.
"""

from __future__ import annotations

import csv
import json
import os
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import yaml

from . import atomic
from .errors import NasxError
from .genotype import Genotype

JOURNAL = "journal.jsonl"
RUN_FILE = "run.json"


@dataclass
class TrialRecord:
    trial_id: str
    genotype: Genotype
    status: str
    reason: str | None = None
    metrics: dict = field(default_factory=dict)
    device_seconds: float = 0.0
    wall_seconds: float = 0.0
    worker: str | None = None
    weights: Path | None = None
    fidelity: dict = field(default_factory=dict)
    meta: dict = field(default_factory=dict)
    build: dict = field(default_factory=dict)  # network settings, classes, input size (trial_build)

    def to_dict(self) -> dict:
        return {"id": self.trial_id, "genotype": self.genotype.to_dict(), "status": self.status,
                "reason": self.reason, "metrics": self.metrics, "device_seconds": self.device_seconds,
                "wall_seconds": self.wall_seconds, "worker": self.worker,
                "weights": str(self.weights) if self.weights else None, "fidelity": self.fidelity,
                "meta": self.meta, "build": self.build}


def new_run_id(prefix: str = "") -> str:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    return f"{prefix}{stamp}-{os.getpid() % 10000:04d}"


class RunDir:
    def __init__(self, path: Path):
        self.path = Path(path).resolve()

    # ---- creation / opening
    @classmethod
    def create(cls, path: str | Path, config: dict, meta: dict | None = None) -> RunDir:
        p = Path(path)
        if p.exists() and any(p.iterdir()):
            raise NasxError(f"run_dir {p} already exists and is not empty (resume it instead, or choose another run_dir)",
                            keys=("run_dir",))
        p.mkdir(parents=True, exist_ok=True)
        (p / "trials").mkdir(exist_ok=True)
        run = cls(p)
        (p / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
        (p / JOURNAL).touch()
        run.write_meta({"run_id": p.name, "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                        "status": "running", **(meta or {})})
        return run

    @classmethod
    def open(cls, path: str | Path) -> RunDir:
        p = Path(path)
        if not p.exists():
            raise NasxError(f"run directory {p} does not exist")
        if not p.is_dir() or not (p / RUN_FILE).is_file() or not (p / JOURNAL).exists():
            raise NasxError(f"{p} is not a nasx run directory (no {RUN_FILE} / {JOURNAL})")
        run = cls(p)
        run.meta()  # validates run.json
        return run

    # ---- metadata
    def meta(self) -> dict:
        try:
            return json.loads((self.path / RUN_FILE).read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise NasxError(f"{self.path / RUN_FILE} is unreadable: {exc}") from None

    def write_meta(self, meta: dict) -> None:
        atomic.write_json(self.path / RUN_FILE, meta, default=None)  # temporary file, fsync, rename

    def update_meta(self, **kw) -> dict:
        m = self.meta()
        m.update(kw)
        self.write_meta(m)
        return m

    def config(self) -> dict:
        try:
            return yaml.safe_load((self.path / "config.yaml").read_text()) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise NasxError(f"{self.path / 'config.yaml'} is unreadable: {exc}") from None

    # ---- journal
    def append(self, record: dict) -> None:
        line = json.dumps(record, default=_jsonable) + "\n"
        with open(self.path / JOURNAL, "a", encoding="utf-8") as f:
            f.write(line)
            f.flush()
            os.fsync(f.fileno())

    def records(self) -> list[dict]:
        out = []
        with open(self.path / JOURNAL, encoding="utf-8") as f:
            for line in f:
                line = line.strip()
                if not line:
                    continue
                try:
                    out.append(json.loads(line))
                except json.JSONDecodeError:
                    continue  # a torn line from a kill mid-write
        return out

    def trials(self) -> list[TrialRecord]:
        from .spaces import genotype_from_obj  # spaces are heavier than the run directory; load on use

        out = []
        for r in self.records():
            if r.get("event", "trial") != "trial":
                continue
            w = r.get("weights")
            build = r.get("build") or {}
            out.append(TrialRecord(
                trial_id=r["id"], genotype=genotype_from_obj(as_trained(r["genotype"], build)), status=r["status"],
                reason=r.get("reason"), metrics=r.get("metrics") or {},
                device_seconds=float(r.get("device_seconds") or 0.0),
                wall_seconds=float(r.get("wall_seconds") or 0.0), worker=r.get("worker"),
                weights=(self.path / w) if w else None, fidelity=r.get("fidelity") or {},
                meta=r.get("meta") or {}, build=build))
        return out

    def trial(self, trial_id: str) -> TrialRecord:
        for t in self.trials():
            if t.trial_id == trial_id:
                return t
        raise NasxError(f"run {self.path.name} has no trial {trial_id!r}")

    def task_kind(self):
        """The run's task kind (nasx.tasks): its config's, else its space's."""
        return kind_of_config(self.config())

    def objective(self):
        """The metric the run's search optimised first (a nasx.metrics.Metric, with its direction)."""
        return objective_of_config(self.config())

    def leaderboard(self, key: str | None = None) -> list[TrialRecord]:
        """Finished trials, best first by `key` (default: the run's objective) in its direction."""
        from .metrics import metric

        m = metric(key) if key else self.objective()
        ok = [t for t in self.trials() if t.status == "ok" and m.valid(t.metrics.get(m.name))]
        return sorted(ok, key=lambda t: (m.best_first(t.metrics[m.name]), t.metrics.get("params") or 0))

    def best(self, rank: int = 1) -> TrialRecord:
        board = self.leaderboard()
        if rank < 1 or rank > len(board):
            raise NasxError(f"run {self.path.name} has {len(board)} finished trials; rank {rank} does not exist")
        return board[rank - 1]

    def trial_dir(self, trial_id: str) -> Path:
        d = self.path / "trials" / trial_id
        d.mkdir(parents=True, exist_ok=True)
        return d

    def spent(self) -> dict:
        ts = self.trials()
        return {"device_seconds": sum(t.device_seconds for t in ts), "trials": len(ts)}

    # ---- derived files
    def write_leaderboard(self, extra_rows: list[dict] | None = None) -> Path:
        path = self.path / "leaderboard.csv"
        kind = self.task_kind()
        cols = ["rank", "id", self.objective().name, kind.held_out, "params", "macs", "latency_ms_b1",
                "device_seconds", "arch", "learned"]  # learned: baselines only (nasx.learned)
        cols = list(dict.fromkeys(cols))
        with open(path, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=cols)
            w.writeheader()
            for i, t in enumerate(self.leaderboard(), start=1):
                w.writerow({"rank": i, "id": t.trial_id, **{k: t.metrics.get(k) for k in cols[2:-3]},
                            "device_seconds": round(t.device_seconds, 2), "arch": t.genotype.spec})
            for row in extra_rows or []:
                w.writerow({k: row.get(k) for k in cols})
        best = self.path / "best"
        best.mkdir(exist_ok=True)
        for i, t in enumerate(self.leaderboard()[:5], start=1):
            (best / f"rank{i}.genotype.json").write_text(t.genotype.to_json(indent=1))
        return path


class MemoryRun:
    """A run kept in memory (no directory, no fsync): what the driver needs of a RunDir, for
    simulated searches such as the tabular benchmark, which runs thousands of them."""

    path = None

    def __init__(self):
        self._meta: dict = {"status": "running"}
        self.journal: list[dict] = []

    def meta(self) -> dict:
        return dict(self._meta)

    def update_meta(self, **kw) -> dict:
        self._meta.update(kw)
        return dict(self._meta)

    def append(self, record: dict) -> None:
        self.journal.append(record)

    def records(self) -> list[dict]:
        return list(self.journal)

    def trials(self) -> list[TrialRecord]:
        return []  # nothing to replay: a memory run is never resumed


def kind_of_config(config: dict):
    """The task kind a run's config names (`task_kind`), else its space's (older runs: image classification)."""
    from .spaces import get_space
    from .tasks import get_task_kind

    name = config.get("task_kind")
    if not name and config.get("space"):
        try:
            name = get_space(config["space"]).task_kind
        except NasxError:  # a space no longer bundled: its runs were image classifiers
            name = None
    return get_task_kind(name)


def objective_of_config(config: dict):
    """The first objective of a run's config as a Metric (older configs: the kind's objective)."""
    objectives = config.get("objectives") or []
    kind = kind_of_config(config)
    return kind.metric(objectives[0]) if objectives else kind.objective_metric


def as_trained(genotype: dict, build: dict) -> dict:
    """The genotype in today's op names for the network it was trained as: a trial journaled before
    ops version 2 (no `ops_version` in its build record) read `sep_conv_KxK` as one stack, today's
    `sep_conv_KxK_single` (see nasx.ops.LEGACY_V1)."""
    from .ops import OPS_VERSION, legacy_ops_v1

    if int(build.get("ops_version", 1)) < OPS_VERSION:
        return legacy_ops_v1(genotype)
    return genotype


def _jsonable(o):
    if isinstance(o, Path):
        return str(o)
    if hasattr(o, "item"):
        return o.item()
    return str(o)


def now() -> float:
    return time.time()
