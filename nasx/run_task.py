"""The splits a run's network was trained and validated on: the one answer for every reader of a run.

A search's trials load their data as `cached_dataset(data, val_fraction, max_train)`: the run's
`data` and its `task.val_fraction` / `task.max_train` (a trial's fidelity may override them), carved
with `SPLIT_SEED` (the run's `seed` drives the training and the strategy, never the split); `nasx
train` loads its task's the same way. A reader that loads the data with `load_dataset`'s defaults
instead scores the network on another validation split, partly on images it trained on.
`run_data_settings(path)` reads those settings for a run directory (its best trial, or `trial`), a
`nasx train` folder, or an export folder made from either (metrics.json's `source`); `None` when
nothing records them (zoo:NAME, an export of a bare genotype). `DataSettings.load()` loads that split.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from .errors import NasxError

# The seed every trial runner (`cached_dataset`) and `nasx train` carve validation with: load_dataset's
# default, never the run's `seed`.
SPLIT_SEED = 0
SPLIT_KEYS = ("val_fraction", "max_train")


@dataclass(frozen=True)
class DataSettings:
    """The data spec and split a network was trained with, and where that was read from."""

    data: str
    val_fraction: float
    max_train: int | None
    seed: int = SPLIT_SEED  # the split seed (load_dataset's `seed`)
    origin: str = ""  # "run R, trial T", "training folder F", "export E of run R, trial T", ...

    def load(self):
        from .data import load_dataset

        return load_dataset(self.data, val_fraction=self.val_fraction, seed=self.seed, max_train=self.max_train)

    def to_dict(self) -> dict:
        return asdict(self)

    def describe(self, dataset=None) -> str:
        """One line: which splits (with their sizes when `dataset` is given) and whose they are."""
        def size(split: str) -> str:
            return f" {len(getattr(dataset, f'y_{split}')):,} images" if dataset is not None else ""

        cap = f" (max_train {self.max_train})" if self.max_train is not None else ""
        return (f"the splits of {self.origin}: {self.data}, validation{size('val')} ({100 * self.val_fraction:g}% "
                f"of train, split seed {self.seed}), training{size('train')}{cap}, test{size('test')}")


def same_data(a: str, b: str) -> bool:
    """Whether two data specs name the same data (`cifar10:./c10` and `cifar10:/abs/c10/` alike)."""
    from .data.registry import parse_spec

    (sa, pa), (sb, pb) = parse_spec(a), parse_spec(b)
    if sa != sb:
        return False
    if pa is None or pb is None:
        return pa == pb
    return pa == pb or Path(pa).expanduser().resolve() == Path(pb).expanduser().resolve()


def _read_json(path: Path) -> dict:
    try:
        obj = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return obj if isinstance(obj, dict) else {}


def _settings(data, task: dict, origin: str) -> DataSettings | None:
    """From a Task mapping (a config's `task:`, a training's recorded task), coerced as Task does."""
    from .evaluate import Task

    if not isinstance(data, str) or not data:
        return None
    t = Task.from_dict({k: task[k] for k in SPLIT_KEYS if k in task})
    return DataSettings(data, float(t.val_fraction), t.max_train, SPLIT_SEED, origin)


def _from_run(path: Path, trial: str | None) -> DataSettings | None:
    from .runs import RunDir

    run = RunDir.open(path)
    cfg = run.config()
    if not isinstance(cfg, dict):
        return None
    rec = run.trial(trial) if trial is not None else run.best(1)
    fidelity = rec.fidelity if isinstance(rec.fidelity, dict) else {}
    task = {**(cfg.get("task") if isinstance(cfg.get("task"), dict) else {}),
            **{k: v for k, v in fidelity.items() if k in SPLIT_KEYS}}  # merged as TrialSpec.build merges it
    build = rec.build if isinstance(rec.build, dict) else {}
    data = build.get("data") or fidelity.get("data") or cfg.get("data")
    return _settings(data, task, f"run {run.path.name}, trial {rec.trial_id}")


def _from_training(folder: Path) -> DataSettings | None:
    """A `nasx train` folder (metrics.json, or settings.json while it runs) or a compress output
    (compress.json's `splits`, the data it was fine-tuned on)."""
    for name in ("metrics.json", "settings.json"):
        task = _read_json(folder / name).get("task")
        if isinstance(task, dict) and task.get("data"):
            return _settings(task["data"], task, f"training folder {folder}")
    splits = _read_json(folder / "compress.json").get("splits")
    if isinstance(splits, dict) and splits.get("data"):
        return DataSettings(splits["data"], float(splits["val_fraction"]), splits.get("max_train"),
                            int(splits.get("seed", SPLIT_SEED)), f"compress output {folder}")
    return None


def _from_export(folder: Path) -> DataSettings | None:
    source = _read_json(folder / "metrics.json").get("source")
    if not isinstance(source, dict):
        return None
    found = None
    if source.get("kind") == "run" and source.get("run"):
        run = Path(source["run"])
        if (run / "run.json").is_file():
            found = _from_run(run, source.get("trial"))
    elif source.get("kind") == "genotype" and source.get("weights"):
        found = _from_training(Path(source["weights"]).parent)
    if found is None:
        return None
    return DataSettings(found.data, found.val_fraction, found.max_train, found.seed,
                        f"export {folder} (from {found.origin})")


def run_data_settings(path: str | Path, trial: str | None = None, data: str | None = None) -> DataSettings | None:
    """The data spec and split (val_fraction, max_train, split seed) the network at `path` was trained
    with: a run directory (the trial `nasx.load` gives, or `trial`), a `nasx train` folder, an export
    folder made from either; None when nothing records them (zoo:NAME, a bare genotype's export).

    `data` (a `--data` the user gave) must name the same data: another one is a NasxError.
    """
    p = Path(path)
    if str(path).startswith("zoo:") or not p.is_dir():
        return None
    if (p / "model.py").is_file():  # the order nasx.load tells the folders apart
        found = _from_export(p)
    elif (p / "run.json").is_file():
        found = _from_run(p, trial)
    else:
        found = _from_training(p)
    if found is not None and data is not None and not same_data(data, found.data):
        raise NasxError(f"--data {data} differs from {found.data}, the data of {found.origin} "
                        f"(leave --data out to evaluate on the splits it was trained with)")
    return found


def reader_dataset(spec: str, data: str | None, seed: int, note=lambda _line: None):
    """(dataset, settings) a reader of MODEL_OR_RUN `spec` (`nasx compress`, `nasx visualize`) evaluates
    on: the recorded splits of a run / training / export (`data` checked against them), told through
    `note` in one line; else `data` with a search's default split carved with `seed` (zoo:NAME is
    trained on it first; settings.origin is then "--data")."""
    from .evaluate import Task

    zoo = spec.startswith("zoo:")
    if not zoo and not Path(spec).is_dir():
        raise NasxError(f"{spec} is not zoo:NAME, an export folder or a run directory")
    settings = None if zoo else run_data_settings(spec, data=data)
    if settings is not None:
        dataset = settings.load()
        note(f"evaluating on {settings.describe(dataset)}")
        return dataset, settings
    if not data:
        raise NasxError(f"--data is required: {spec} records no data it was trained on"
                        if not zoo else f"--data is required to train {spec}")
    settings = DataSettings(data, Task.val_fraction, None, seed, "--data")
    dataset = settings.load()
    if not zoo:
        note(f"{spec} records no data it was trained on: evaluating on --data {data}'s default validation "
             f"split ({len(dataset.y_val):,} images, split seed {seed}), which may hold images it trained on")
    return dataset, settings
