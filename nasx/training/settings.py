"""What a final training runs with: run defaults < recipe < options, and the checks of a resume.

A new training takes its defaults from the run it comes from (`run_dir` / `trial`, or a genotype
file inside a run directory): the trial's network settings and data, the run's epochs and task;
a recipe goes on top, then every option given. The result is the `settings` dict recorded as
settings.json (nasx.training.folder). A resumed training keeps its recorded settings: an option
that names a different value is refused. What differs between image classifiers and language
models (recipes, task defaults, options that do not apply, data) the genotype's task kind says
(nasx.tasks.TaskKind's final-training methods).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

from ..errors import NasxError
from ..spaces.network_items import parse_network_items


@dataclass
class TrainingOptions:
    """The options of one training, as `nasx train` takes them (None / empty: not given)."""

    genotype_file: str | Path | None = None
    run_dir: str | Path | None = None
    trial: str | None = None
    space: str | None = None
    data: str | None = None
    recipe: str | None = None
    epochs: int | None = None
    batch_size: int | None = None
    lr: float | None = None
    weight_decay: float | None = None
    cutout: int | None = None
    drop_path: float | None = None
    auxiliary: float | None = None
    channels: int | None = None
    cells: int | None = None
    skeleton: str | None = None
    network_items: tuple = ()  # KEY=VALUE network settings of the space
    seed: int | None = None
    device: str | None = None
    max_train: int | None = None
    out: str | Path | None = None
    force: bool = False
    resume_dir: str | Path | None = None


# option -> where its value is recorded in settings.json (a resumed training refuses a different value)
RECORDED = {"data": ("task", "data"), "epochs": ("task", "epochs"), "batch_size": ("task", "batch_size"),
            "lr": ("task", "lr"), "weight_decay": ("task", "weight_decay"), "cutout": ("task", "cutout"),
            "drop_path": ("task", "drop_path"), "auxiliary": ("task", "auxiliary_weight"),
            "seed": ("task", "seed"), "max_train": ("task", "max_train"), "channels": ("network", "channels"),
            "cells": ("network", "cells"), "skeleton": ("network", "skeleton"), "recipe": ("recipe",)}
NOT_WITH_RESUME = {"genotype_file": "--genotype", "run_dir": "--run", "trial": "--trial", "space": "--space",
                   "network_items": "--network", "force": "--force"}


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def run_trial_of_genotype_file(path: str | Path):
    """(RunDir, TrialRecord) when `path` lies in a run directory (e.g. its `best/rank1.genotype.json`)
    and a finished trial of that run has the same genotype; else None."""
    p = Path(path).resolve()
    run_path = next((d for d in p.parents[:3] if (d / "run.json").is_file() and (d / "journal.jsonl").exists()),
                    None)
    if run_path is None:
        return None
    from ..runs import RunDir
    from ..spaces import read_genotype

    g = read_genotype(p)
    run = RunDir.open(run_path)
    same = [t for t in run.leaderboard() if t.genotype.hash == g.hash]
    return (run, same[0]) if same else None


def run_source(genotype_file, run_dir, trial):
    """(genotype, run, trial record) from run_dir/trial, or a genotype file inside a run; run None otherwise."""
    from ..runs import RunDir

    if run_dir:
        if genotype_file:
            raise NasxError("give --genotype FILE or --run DIR [--trial ID], not both")
        run = RunDir.open(run_dir)
        rec = run.trial(trial) if trial else run.best(1)
        return rec.genotype, run, rec
    if trial:
        raise NasxError("--trial selects a trial of --run DIR; give --run too")
    if not genotype_file:
        raise NasxError("give --genotype FILE or --run DIR [--trial ID]")
    found = run_trial_of_genotype_file(genotype_file)
    if found:
        return found[1].genotype, found[0], found[1]
    return None, None, None


def kind_of_space(space_name: str):
    """The task kind (nasx.tasks) a space's networks are trained as."""
    from ..spaces import get_space
    from ..tasks import get_task_kind

    return get_task_kind(get_space(space_name).task_kind)


def refuse_foreign_options(kind, space_name: str, o: TrainingOptions) -> None:
    """One line for an option the kind's training has no use for (--cutout on a language model)."""
    given = [name for name in kind.foreign_train_options() if getattr(o, name) is not None]
    if given:
        raise NasxError(f"{given[0]} does not apply to {kind.name} networks (space {space_name})",
                        keys=(given[0],))


def merge_network(space_name: str, *layers: dict) -> dict:
    """Network settings given in layers (run < recipe < options), merged as the space takes them one
    layer at a time (a tied recurrent space keeps embedding = hidden): every key named, at its final value."""
    from ..spaces import get_space

    sp, named = get_space(space_name), {}
    for layer in layers:
        if layer:
            sp = sp.with_network(**layer)
            named.update(layer)
    return {k: getattr(sp.settings, k) for k in named}


def new_settings(o: TrainingOptions):
    """(genotype, settings dict, notes to print once everything is checked) of a new training:
    run defaults < recipe < options."""
    from ..spaces import get_space, read_genotype
    from ..trial_build import trial_build

    g, run, rec = run_source(o.genotype_file, o.run_dir, o.trial)
    if run is None:
        g = read_genotype(o.genotype_file, o.space)
    space = o.space or g.space
    kind = kind_of_space(space)
    refuse_foreign_options(kind, space, o)
    run_network: dict = {}
    data, epochs = o.data, o.epochs
    notes: list[str] = []
    run_task: dict = {}
    if run is not None:
        tb = trial_build(run, rec)
        cfg = run.config()
        run_task = dict(cfg.get("task") or {}) if isinstance(cfg, dict) else {}
        run_network = {} if o.network_items else dict(tb.network)
        data = data or tb.data or (cfg.get("data") if isinstance(cfg, dict) else None)
        epochs = epochs or (cfg.get("epochs") if isinstance(cfg, dict) else None)
    fields = kind.train_defaults(run_task)
    if run is not None:
        network = parse_network_items(o.network_items) or run_network
        shown = {"network": ", ".join(f"{k}={v}" for k, v in sorted(network.items())) or "space defaults",
                 "data": data, "epochs": epochs,
                 **{k: (getattr(o, k) if getattr(o, k) is not None else fields.get(k))
                    for k in ("batch_size", "lr", "max_train")}}
        notes.append(f"settings of run {run.path.name}, trial {rec.trial_id} (options given override them): "
                     + "; ".join(f"{k} {v}" for k, v in shown.items()))
    recipe_network: dict = {}
    if o.recipe:
        r = kind.train_recipe(o.recipe)
        fields.update(r.task)
        keys = get_space(space).network_keys
        recipe_network = {k: v for k, v in r.network.items() if k in keys}
        skipped = sorted(set(r.network) - set(keys))
        notes.append(f"recipe {r.name}: {r.description} (options given override it)"
                     + (f"; {', '.join(skipped)} not a setting of this space, skipped" if skipped else ""))
    if epochs:
        fields["epochs"] = epochs
    for key in ("batch_size", "lr", "weight_decay", "cutout", "drop_path", "max_train"):
        if getattr(o, key) is not None:
            fields[key] = getattr(o, key)
    given = parse_network_items(o.network_items)
    for key in ("channels", "cells", "skeleton"):
        if getattr(o, key) is not None:
            given[key] = getattr(o, key)
    if o.auxiliary is not None:
        fields["auxiliary_weight"] = o.auxiliary
        if o.auxiliary > 0 or "auxiliary" in {**run_network, **recipe_network, **given}:
            given["auxiliary"] = o.auxiliary > 0
    if not data:
        raise NasxError(f"--data is required (no run to take it from), e.g. --data {kind.default_data}")
    kind.check_data(data)
    if "epochs" not in fields:
        raise NasxError("--epochs is required (no run or recipe to take it from), e.g. --epochs 20")
    network = merge_network(space, run_network, recipe_network, given)
    task = kind.make_task({"data": data, "seed": o.seed or 0, "device": o.device or "auto", **fields})
    settings = {"format": None, "space": space, "hash": g.hash, "network": network,
                "task": task.to_dict(), "recipe": o.recipe,
                "from_run": {"run": str(run.path), "trial": rec.trial_id} if run is not None else None}
    return g, settings, notes


def check_resume_options(folder: Path, settings: dict, o: TrainingOptions) -> None:
    """Refuse options a resumed training cannot take: a new source, another folder, a changed setting,
    an option its kind has no use for."""
    refuse_foreign_options(kind_of_space(settings["space"]), settings["space"], o)
    given = asdict(o)
    for name, flag in NOT_WITH_RESUME.items():
        if given.get(name):
            raise NasxError(f"{flag} cannot be combined with --resume: {folder}'s recorded settings are used")
    if o.out is not None and Path(o.out).resolve() != folder.resolve():
        raise NasxError(f"--out {o.out} differs from --resume {folder}: a resumed training stays in its folder")
    for name, where in RECORDED.items():
        value = given.get(name)
        if value is None:
            continue
        recorded = settings
        for key in where:
            recorded = recorded.get(key) if isinstance(recorded, dict) else None
        if name == "auxiliary" and recorded is None:
            recorded = 0.0
        if value != recorded:
            raise NasxError(f"{_flag(name)} {value} conflicts with the recorded {recorded} of {folder} "
                            f"(a resumed training keeps its settings)")
