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

from ..errors import Interrupted, NasxError
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


@click.command("train")
@click.option("--genotype", "genotype_file", required=True, type=click.Path(dir_okay=False),
              help="Genotype JSON file (bare, or `nasx sample --json` output).")
@click.option("--space", default=None, help="Space of the genotype (when the file does not name it).")
@click.option("--data", required=True, help="Data spec: digits, fashion-mnist, cifar10:/dir, npz:/file.npz ...")
@click.option("--epochs", type=click.IntRange(1, 100_000), required=True)
@click.option("--batch-size", type=click.IntRange(1, 1 << 16), default=128, show_default=True)
@click.option("--lr", type=click.FloatRange(0, None, min_open=True), default=0.05, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True)
@click.option("--max-train", type=click.IntRange(1, None), default=None, help="Subsample the training split.")
@click.option("--out", type=click.Path(), default=None, help="Output folder (default runs/train-<space>-<hash>).")
@click.option("--force", is_flag=True, help="Replace a non-empty --out folder.")
def command(genotype_file, space, data, epochs, batch_size, lr, seed, device, max_train, out, force):
    """Train the architecture in --genotype on --data from scratch; save weights and metrics."""
    import signal

    try:
        signal.signal(signal.SIGTERM, signal.default_int_handler)  # SIGTERM ends it like Ctrl-C
    except ValueError:  # not the main thread (embedded use): leave signals alone
        pass
    from ..data import load_dataset
    from ..evaluate import Task, train_and_evaluate
    from ..export.safety import read_genotype_file
    from ..export.writer import prepare_target
    from ..spaces import get_space

    g = read_genotype_file(genotype_file, space)
    sp = get_space(space) if space else get_space(g.space)
    out_dir = Path(out) if out else Path("runs") / f"train-{g.space}-{g.hash[:8]}"
    prepare_target(out_dir, force)
    task = Task(data=data, epochs=epochs, batch_size=batch_size, lr=lr, seed=seed, device=device,
                max_train=max_train)
    dataset = load_dataset(data, val_fraction=task.val_fraction, max_train=max_train)
    torch.manual_seed(seed)
    net = sp.build(g, num_classes=dataset.num_classes, input_size=tuple(dataset.input_shape))
    err_console.print(f"training {g.space} {g.hash[:8]} on {dataset.name} {tuple(dataset.input_shape)}, "
                      f"{dataset.num_classes} classes, {epochs} epochs")

    def progress(epoch: int, m: dict) -> None:
        err_console.print(f"epoch {epoch:>3}/{epochs}  train loss {m['train_loss']:.4f}  "
                          f"val loss {m['val_loss']:.4f}  val acc {100 * m['val_acc']:6.2f}%  "
                          f"{m['device_seconds']:.1f} s")

    try:
        result = train_and_evaluate(net, dataset, task, progress)
    except KeyboardInterrupt:  # Ctrl-C / SIGTERM: nothing half-written (the folder appears only at the end)
        raise Interrupted(f"interrupted during training; nothing written to {out_dir}") from None
    if not result.ok:
        raise NasxError(f"training {result.status}: {result.reason}")
    record = {"metrics": result.metrics, "task": task.to_dict(), "genotype": g.to_dict(), "hash": g.hash,
              "data": dataset.name, "num_classes": dataset.num_classes, "input_size": list(dataset.input_shape),
              "weights": "weights.pt"}
    _write(out_dir, force, net, g, record)
    console.print(_table(result.metrics, f"{g.space} {g.hash[:8]} on {dataset.name}"))
    console.print(f"wrote {out_dir}: weights.pt, metrics.json, genotype.json")
    return 0
