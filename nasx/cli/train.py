"""`nasx train`: retrain one architecture from scratch with full training, and keep the weights.

A search trains candidates briefly; the winner deserves a full run. This trains the genotype with
the evaluator's protocol (same Task fields as a search), prints a line per epoch and the metrics
table, and writes weights.pt + metrics.json + genotype.json into --out, ready for
`nasx export --genotype FILE --weights OUT/weights.pt`.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import click
import torch

from ..errors import NasxError
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


def _write(out: Path, force: bool, net, genotype, record: dict) -> None:
    from ..export.writer import make_parents, move_into_place, remove_empty

    created = make_parents(out)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        torch.save({k: v.detach().cpu() for k, v in net.state_dict().items()}, tmp / "weights.pt")
        (tmp / "metrics.json").write_text(json.dumps(record, indent=1, default=str) + "\n")
        (tmp / "genotype.json").write_text(genotype.to_json(indent=1) + "\n")
        move_into_place(tmp, out)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
            remove_empty(created)


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
@click.option("--epochs", type=click.IntRange(1, 100_000), default=None, help="Epochs (default: the run's).")
@click.option("--batch-size", type=click.IntRange(1, 1 << 16), default=None, help="Default: the run's, else 128.")
@click.option("--lr", type=click.FloatRange(0, None, min_open=True), default=None,
              help="Default: the run's, else 0.05.")
@click.option("--network", "network_items", multiple=True, metavar="KEY=VALUE",
              help="Network setting of the space (e.g. channels=16); default: the run's. Repeatable.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True)
@click.option("--max-train", type=click.IntRange(1, None), default=None,
              help="Subsample the training split (default: the run's, else all).")
@click.option("--out", type=click.Path(), default=None, help="Output folder (default runs/train-<space>-<hash>).")
@click.option("--force", is_flag=True, help="Replace a non-empty --out folder.")
def command(genotype_file, run_dir, trial, space, data, epochs, batch_size, lr, network_items, seed, device,
            max_train, out, force):
    """Train an architecture (--genotype FILE, or a run's trial) from scratch; save weights and metrics."""
    from ..data import load_dataset
    from ..evaluate import Task, train_and_evaluate
    from ..export.safety import read_genotype_file
    from ..export.writer import prepare_target
    from ..ops import OPS_VERSION
    from ..spaces import get_space
    from ..trial_build import trial_build

    g, run, rec = _run_source(genotype_file, run_dir, trial)
    given = {"batch_size": batch_size, "lr": lr, "max_train": max_train}
    network = _parse_network(network_items)
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
                 **{k: (given[k] if given[k] is not None else run_task.get(k, RUN_DEFAULTS[k])) for k in given}}
        err_console.print(f"settings of run {run.path.name}, trial {rec.trial_id} (options given override them): "
                          + "; ".join(f"{k} {v}" for k, v in shown.items()))
    else:
        g = read_genotype_file(genotype_file, space)
    if not data:
        raise NasxError("--data is required (no run to take it from), e.g. --data digits")
    if not epochs:
        raise NasxError("--epochs is required (no run to take it from), e.g. --epochs 20")
    opts = {k: (given[k] if given[k] is not None else run_task.get(k, RUN_DEFAULTS[k])) for k in given}
    val_fraction = float(run_task.get("val_fraction", RUN_DEFAULTS["val_fraction"]))
    sp = get_space(space) if space else get_space(g.space)
    if network:
        sp = sp.with_network(**network)
    out_dir = Path(out) if out else Path("runs") / f"train-{g.space}-{g.hash[:8]}"
    prepare_target(out_dir, force)
    task = Task(data=data, epochs=epochs, batch_size=opts["batch_size"], lr=opts["lr"], seed=seed, device=device,
                max_train=opts["max_train"], val_fraction=val_fraction)
    dataset = load_dataset(data, val_fraction=task.val_fraction, max_train=task.max_train)
    torch.manual_seed(seed)
    net = sp.build(g, num_classes=dataset.num_classes, input_size=tuple(dataset.input_shape))
    err_console.print(f"training {g.space} {g.hash[:8]} on {dataset.name} {tuple(dataset.input_shape)}, "
                      f"{dataset.num_classes} classes, {epochs} epochs")

    def progress(epoch: int, m: dict) -> None:
        err_console.print(f"epoch {epoch:>3}/{epochs}  train loss {m['train_loss']:.4f}  "
                          f"val loss {m['val_loss']:.4f}  val acc {100 * m['val_acc']:6.2f}%  "
                          f"{m['device_seconds']:.1f} s")

    result = train_and_evaluate(net, dataset, task, progress)
    if not result.ok:
        raise NasxError(f"training {result.status}: {result.reason}")
    record = {"metrics": result.metrics, "task": task.to_dict(), "genotype": g.to_dict(), "hash": g.hash,
              "data": dataset.name, "num_classes": dataset.num_classes, "input_size": list(dataset.input_shape),
              "weights": "weights.pt", "build": {"space": g.space, "network": network, "ops_version": OPS_VERSION,
                                                 "num_classes": dataset.num_classes,
                                                 "input_size": list(dataset.input_shape), "data": data},
              "from_run": {"run": str(run.path), "trial": rec.trial_id} if run is not None else None}
    _write(out_dir, force, net, g, record)
    console.print(_table(result.metrics, f"{g.space} {g.hash[:8]} on {dataset.name}"))
    console.print(f"wrote {out_dir}: weights.pt, metrics.json, genotype.json")
    return 0
