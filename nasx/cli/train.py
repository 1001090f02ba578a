"""`nasx train`: retrain one architecture from scratch with full training, and keep the weights.

A search trains candidates briefly; the winner deserves a full run. This trains the genotype with
the evaluator's protocol (same Task fields as a search) or a published recipe (`--recipe darts`,
`--recipe imagenet_mobile`, see nasx.evaluate.recipes) with command-line options on top, prints a
line per epoch (loss, accuracy, lr, ETA) and the metrics table. The output folder holds
settings.json + genotype.json from the start and checkpoint.pt after every epoch (so `nasx train
--resume DIR` continues a killed training with nothing lost), then weights.pt + metrics.json
(test accuracy, params without auxiliary heads, MACs, device-seconds, per-epoch history, the build
settings), ready for `nasx export DIR --out EXPORT`.
"""

from __future__ import annotations

import math
import shutil
import time
from pathlib import Path

import click
import torch

from ..errors import Interrupted, NasxError
from ..spaces.cell_network import SKELETONS
from .common import console, err_console

SHOWN = (("val_acc", "val acc", "pct"), ("test_acc", "test acc", "pct"), ("val_loss", "val loss", ".4f"),
         ("train_loss", "train loss", ".4f"), ("params", "params", ","), ("macs", "MACs", ","),
         ("latency_ms_b1", "latency b1 ms", ".3f"), ("epochs_done", "epochs", "d"),
         ("device_seconds", "device s", ".1f"))


def _fmt(value, spec: str) -> str:
    if value is None:
        return "-"
    return f"{100 * value:.2f}%" if spec == "pct" else format(value, spec)


def _table(metrics: dict, title: str):
    from rich.table import Table

    t = Table(title=title)
    t.add_column("metric")
    t.add_column("value", justify="right")
    for key, label, spec in SHOWN:
        t.add_row(label, _fmt(metrics.get(key), spec))
    return t


def _parse_network(items) -> dict:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise NasxError(f"--network takes KEY=VALUE (e.g. --network channels=16), got {item!r}")
        try:
            out[key.strip()] = int(value)
        except ValueError:
            raise NasxError(f"--network {key.strip()}: {value!r} is not an integer") from None
    return out


def _run_source(genotype_file, run_dir, trial):
    """(genotype, run, trial record) from --run/--trial, or a genotype file inside a run; run None otherwise."""
    from ..runs import RunDir
    from ..trial_build import run_trial_of_genotype_file

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


# task settings a run offers as defaults, with the fallbacks when neither the option nor the run sets them
RUN_DEFAULTS = {"batch_size": 128, "lr": 0.05, "max_train": None, "val_fraction": 0.1}

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


def _hms(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "-"
    s = round(seconds)
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


class _Progress:
    """One line per epoch (epoch, train loss, val loss/acc, lr, drop-path, s/epoch, ETA) and, on a
    terminal, a rich progress bar; the ETA is this session's mean epoch wall time x epochs left."""

    def __init__(self, epochs: int, first: int):
        self.epochs, self.first, self.t0 = epochs, first, time.perf_counter()
        self.last: dict = {}
        self.bar = None
        if err_console.is_terminal:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            self.bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                TextColumn("ETA"), TimeRemainingColumn(), console=err_console, transient=True)
            self.task_id = self.bar.add_task("training", total=epochs, completed=first - 1)
            self.bar.start()

    def checkpoint_written(self, state: dict) -> None:
        self.last = state["history"][-1] if state.get("history") else {}

    def __call__(self, epoch: int, m: dict) -> None:
        per_epoch = (time.perf_counter() - self.t0) / (epoch - self.first + 1)
        eta = per_epoch * (self.epochs - epoch)
        extra = f"  lr {self.last['lr']:.3g}" if self.last.get("lr") is not None else ""
        if self.last.get("drop_path_prob") is not None:
            extra += f"  drop-path {self.last['drop_path_prob']:.3f}"
        err_console.print(f"epoch {epoch:>3}/{self.epochs}  train loss {m['train_loss']:.4f}  "
                          f"val loss {m['val_loss']:.4f}  val acc {100 * m['val_acc']:6.2f}%{extra}  "
                          f"{per_epoch:.1f} s/epoch  ETA {_hms(eta)}", soft_wrap=True)
        if self.bar is not None:
            self.bar.update(self.task_id, completed=epoch,
                            description=f"loss {m['train_loss']:.3f} val acc {100 * m['val_acc']:.2f}%")

    def stop(self) -> None:
        if self.bar is not None:
            self.bar.stop()


def _check_resume_options(folder: Path, settings: dict, given: dict, out) -> None:
    for name, flag in NOT_WITH_RESUME.items():
        if given.get(name):
            raise NasxError(f"{flag} cannot be combined with --resume: {folder}'s recorded settings are used")
    if out is not None and Path(out).resolve() != folder.resolve():
        raise NasxError(f"--out {out} differs from --resume {folder}: a resumed training stays in its folder")
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


def _new_settings(genotype_file, run_dir, trial, space, data, epochs, network_items, recipe, opts: dict):
    """(genotype, settings dict, notes to print once everything is checked) of a new training:
    run defaults < recipe < options."""
    from ..evaluate import Task, get_recipe
    from ..spaces import read_genotype
    from ..trial_build import trial_build

    g, run, rec = _run_source(genotype_file, run_dir, trial)
    network = _parse_network(network_items)
    notes: list[str] = []
    run_task: dict = {}
    if run is not None:
        tb = trial_build(run, rec)
        cfg = run.config()
        run_task = dict(cfg.get("task") or {}) if isinstance(cfg, dict) else {}
        network = network or dict(tb.network)
        data = data or tb.data or (cfg.get("data") if isinstance(cfg, dict) else None)
        epochs = epochs or (cfg.get("epochs") if isinstance(cfg, dict) else None)
        shown = {"network": ", ".join(f"{k}={v}" for k, v in sorted(network.items())) or "space defaults",
                 "data": data, "epochs": epochs,
                 **{k: (opts[k] if opts[k] is not None else run_task.get(k, RUN_DEFAULTS[k]))
                    for k in ("batch_size", "lr", "max_train")}}
        notes.append(f"settings of run {run.path.name}, trial {rec.trial_id} (options given override them): "
                     + "; ".join(f"{k} {v}" for k, v in shown.items()))
    else:
        g = read_genotype(genotype_file, space)
    fields = {k: run_task.get(k, RUN_DEFAULTS[k]) for k in RUN_DEFAULTS}
    if recipe:
        r = get_recipe(recipe)
        fields.update(r.task)
        keys = _network_keys(space or g.space)
        network = {**network, **{k: v for k, v in r.network.items() if k in keys}}
        skipped = sorted(set(r.network) - set(keys))
        notes.append(f"recipe {r.name}: {r.description} (options given override it)"
                     + (f"; {', '.join(skipped)} not a setting of this space, skipped" if skipped else ""))
    if epochs:
        fields["epochs"] = epochs
    for key in ("batch_size", "lr", "weight_decay", "cutout", "drop_path", "max_train"):
        if opts[key] is not None:
            fields[key] = opts[key]
    for key in ("channels", "cells", "skeleton"):
        if opts[key] is not None:
            network[key] = opts[key]
    if opts["auxiliary"] is not None:
        fields["auxiliary_weight"] = opts["auxiliary"]
        if opts["auxiliary"] > 0 or "auxiliary" in network:
            network["auxiliary"] = opts["auxiliary"] > 0
    if not data:
        raise NasxError("--data is required (no run to take it from), e.g. --data digits")
    if "epochs" not in fields:
        raise NasxError("--epochs is required (no run or recipe to take it from), e.g. --epochs 20")
    task = Task(data=data, seed=opts["seed"] or 0, device=opts["device"] or "auto", **fields)
    settings = {"format": None, "space": space or g.space, "hash": g.hash, "network": network,
                "task": task.to_dict(), "recipe": recipe,
                "from_run": {"run": str(run.path), "trial": rec.trial_id} if run is not None else None}
    return g, settings, notes


def _network_keys(space_name: str) -> tuple:
    """The network settings the space accepts (a recipe's others, e.g. `cells` on a macro chain, do not apply)."""
    from ..spaces import get_space

    return get_space(space_name).network_keys


def _build(g, settings: dict, task):
    """(space, dataset, network) for `settings`, every refusal (bad network key, cutout larger than
    the images, drop-path without support) raised before anything is written."""
    from ..data import load_dataset
    from ..evaluate import check_network
    from ..spaces import get_space

    sp = get_space(settings["space"])
    if settings["network"]:
        sp = sp.with_network(**settings["network"])
    dataset = load_dataset(task.data, val_fraction=task.val_fraction, max_train=task.max_train)
    _, h, w = dataset.input_shape
    if task.cutout > min(h, w):
        raise NasxError(f"--cutout {task.cutout} is larger than the {h}x{w} images of {dataset.name}")
    torch.manual_seed(task.seed)
    net = sp.build(g, num_classes=dataset.num_classes, input_size=tuple(dataset.input_shape))
    check_network(net, task)
    return sp, dataset, net


@click.command("train")
@click.option("--genotype", "genotype_file", type=click.Path(dir_okay=False), default=None,
              help="Genotype JSON file (bare, or `nasx sample --json` output); inside a run directory "
                   "(e.g. runs/R/best/rank1.genotype.json) the run's settings become the defaults.")
@click.option("--run", "run_dir", type=click.Path(file_okay=False), default=None,
              help="Train a trial of this run (its best, or --trial) with the run's settings as defaults.")
@click.option("--trial", default=None, help="Trial id of --run (default: its best trial).")
@click.option("--space", default=None, help="Space of the genotype (when the file does not name it).")
@click.option("--data", default=None, help="Data spec: digits, fashion-mnist, cifar10:/dir, npz:/file.npz ... "
                                          "(default: the run's)")
@click.option("--recipe", type=click.Choice(["darts", "imagenet_mobile"]), default=None,
              help="A published final-training protocol (see README); options given override it.")
@click.option("--epochs", type=click.IntRange(1, 100_000), default=None,
              help="Epochs (default: the recipe's, else the run's).")
@click.option("--batch-size", type=click.IntRange(1, 1 << 16), default=None, help="Default: the run's, else 128.")
@click.option("--lr", type=click.FloatRange(0, None, min_open=True), default=None,
              help="Peak learning rate (default: the recipe's, else the run's, else 0.05).")
@click.option("--weight-decay", type=click.FloatRange(0, None), default=None, help="Default: the recipe's, else 5e-4.")
@click.option("--cutout", type=click.IntRange(0, None), default=None,
              help="Cut a PX x PX square from every training image after crop/flip (0: none).", metavar="PX")
@click.option("--drop-path", type=click.FloatRange(0, 1, max_open=True), default=None, metavar="P",
              help="Drop-path probability, scheduled linearly from 0 to P over the epochs (cell networks).")
@click.option("--auxiliary", type=click.FloatRange(0, None), default=None, metavar="WEIGHT",
              help="Build the auxiliary head and add WEIGHT x its loss (0: no auxiliary loss).")
@click.option("--channels", type=click.IntRange(1, 4096), default=None, help="Network channels (initial width).")
@click.option("--cells", type=click.IntRange(1, 1000), default=None, help="Total cells, reductions included.")
@click.option("--skeleton", type=click.Choice(SKELETONS), default=None,
              help="Network skeleton of a cell space (stem and reduction layout).")
@click.option("--network", "network_items", multiple=True, metavar="KEY=VALUE",
              help="Network setting of the space (e.g. channels=16); default: the run's. Repeatable.")
@click.option("--seed", type=int, default=None, help="Seed (default 0).")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default=None, help="Default auto.")
@click.option("--max-train", type=click.IntRange(1, None), default=None,
              help="Subsample the training split (default: the run's, else all).")
@click.option("--out", type=click.Path(), default=None, help="Output folder (default runs/train-<space>-<hash>).")
@click.option("--force", is_flag=True, help="Replace a non-empty --out folder.")
@click.option("--resume", "resume_dir", type=click.Path(), default=None, metavar="DIR",
              help="Continue the training in DIR from its last checkpoint, with its recorded settings.")
def command(genotype_file, run_dir, trial, space, data, recipe, epochs, batch_size, lr, weight_decay, cutout,
            drop_path, auxiliary, channels, cells, skeleton, network_items, seed, device, max_train, out, force,
            resume_dir):
    """Train an architecture (--genotype FILE, or a run's trial) from scratch; save weights and metrics."""
    import signal

    try:
        signal.signal(signal.SIGTERM, signal.default_int_handler)  # SIGTERM ends it like Ctrl-C
    except ValueError:  # not the main thread (embedded use): leave signals alone
        pass
    from ..evaluate import Task
    from ..evaluate.checkpoint import FORMAT, SETTINGS, load_checkpoint, write_json
    from ..export.writer import prepare_target
    from ..spaces import read_genotype

    opts = {"batch_size": batch_size, "lr": lr, "weight_decay": weight_decay, "cutout": cutout,
            "drop_path": drop_path, "auxiliary": auxiliary, "channels": channels, "cells": cells,
            "skeleton": skeleton, "seed": seed, "device": device, "max_train": max_train}
    state, notes = None, []
    if resume_dir:
        folder = Path(resume_dir)
        state = load_checkpoint(folder)
        settings = state["settings"]
        _check_resume_options(folder, settings, {**opts, "data": data, "epochs": epochs, "recipe": recipe,
                                                 "genotype_file": genotype_file, "run_dir": run_dir,
                                                 "trial": trial, "space": space,
                                                 "network_items": network_items, "force": force}, out)
        g = read_genotype(folder / "genotype.json")
        if g.hash != settings.get("hash"):
            raise NasxError(f"--resume {folder}: genotype.json does not match the checkpoint's architecture")
        task = Task.from_dict({**settings["task"], **({"device": device} if device else {})})
        out_dir = folder
    else:
        g, settings, notes = _new_settings(genotype_file, run_dir, trial, space, data, epochs, network_items, recipe, opts)
        settings["format"] = FORMAT
        task = Task(**settings["task"])
        out_dir = Path(out) if out else Path("runs") / f"train-{g.space}-{g.hash[:8]}"
        prepare_target(out_dir, force)
    sp, dataset, net = _build(g, settings, task)
    for note in notes:
        err_console.print(note, soft_wrap=True)
    first = int(state["epoch"]) + 1 if state else 1
    err_console.print(f"training {g.space} {g.hash[:8]} on {dataset.name} {tuple(dataset.input_shape)}, "
                      f"{dataset.num_classes} classes, {task.epochs} epochs"
                      + (f", resuming after epoch {first - 1} from {out_dir}" if state else f", into {out_dir}"),
                      soft_wrap=True)
    created: list[Path] = []
    if state is None:  # everything is checked: now the folder appears
        from ..export.writer import make_parents

        if out_dir.is_dir() and force:
            shutil.rmtree(out_dir)
        created = make_parents(out_dir)
        out_dir.mkdir(exist_ok=True)
        write_json(out_dir / SETTINGS, settings)
        (out_dir / "genotype.json").write_text(g.to_json(indent=1) + "\n")
    resumed_at = list(state.get("resumed_at", [])) + [first - 1] if state else []
    return _train(out_dir, created, g, sp, dataset, net, task, settings, state, first, resumed_at)


def _train(out_dir, created, g, sp, dataset, net, task, settings, state, first, resumed_at):
    from ..evaluate import train_and_evaluate
    from ..evaluate.checkpoint import CHECKPOINT, replace_atomically, save_checkpoint, write_json
    from ..export.writer import remove_empty

    progress = _Progress(task.epochs, first)
    last = {"state": state}

    def checkpoint(s: dict) -> None:
        s["settings"], s["resumed_at"] = settings, resumed_at
        save_checkpoint(out_dir, s)
        last["state"] = s
        progress.checkpoint_written(s)

    try:
        result = train_and_evaluate(net, dataset, task, progress, checkpoint=checkpoint, resume=state)
    except KeyboardInterrupt:  # Ctrl-C / SIGTERM: the last epoch's checkpoint stays, resumable
        if last["state"] is None:  # not one epoch done: nothing worth keeping
            shutil.rmtree(out_dir, ignore_errors=True)
            remove_empty(created)
            raise Interrupted(f"interrupted in the first epoch; nothing written to {out_dir}") from None
        raise Interrupted(f"interrupted after epoch {last['state']['epoch']}; continue with: "
                          f"nasx train --resume {out_dir}") from None
    finally:
        progress.stop()
    if not result.ok:
        if last["state"] is None:  # nothing worth keeping
            shutil.rmtree(out_dir, ignore_errors=True)
            remove_empty(created)
            raise NasxError(f"training {result.status}: {result.reason}")
        raise NasxError(f"training {result.status}: {result.reason} (the checkpoint of epoch "
                        f"{last['state']['epoch']} stays in {out_dir})")
    history = last["state"]["history"] if last["state"] else []
    from ..ops import OPS_VERSION

    build = {"space": g.space, "network": settings["network"], "num_classes": dataset.num_classes,
             "input_size": list(dataset.input_shape), "data": task.data, "ops_version": OPS_VERSION}
    record = {"metrics": result.metrics, "task": task.to_dict(), "genotype": g.to_dict(), "hash": g.hash,
              "data": dataset.name, "num_classes": dataset.num_classes, "input_size": list(dataset.input_shape),
              "weights": "weights.pt", "build": build, "recipe": settings.get("recipe"),
              "from_run": settings.get("from_run"), "resumed_after_epochs": resumed_at, "history": history}
    weights = {k: v.detach().cpu() for k, v in net.state_dict().items()}
    replace_atomically(out_dir / "weights.pt", lambda p: torch.save(weights, p))
    write_json(out_dir / "metrics.json", record)  # last: its presence means "finished"
    (out_dir / CHECKPOINT).unlink(missing_ok=True)
    console.print(_table(result.metrics, f"{g.space} {g.hash[:8]} on {dataset.name}"))
    console.print(f"wrote {out_dir}: weights.pt, metrics.json, genotype.json, settings.json")
    return 0
