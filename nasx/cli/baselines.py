"""`nasx baselines`: train hand-designed zoo models under the same protocol a search uses.

The numbers a searched architecture must beat: each model is trained with the same Task
(optimizer, schedule, epochs, data split, seed) and reported with params, MACs, accuracies,
latency and device-seconds; a CSV is written, --json prints one JSON list instead of the table.
`--recipe paper` trains each model with its paper's recipe scaled to the data set instead
(`nasx.evaluate.baseline_recipes`: batch size capped by the data, lr scaled with it, the paper's
momentum, weight decay and nearest schedule); the approximations it makes are printed on stderr.
Every row says whether the model learned (`nasx.learned`: above chance by a margin); one that did
not is marked and the likely causes are printed on stderr.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import click

from ..errors import NasxError

DEFAULT_MODELS = "lenet5,resnet20,mobilenet_v1"
JSON_KEYS = ("model", "params", "macs", "val_acc", "test_acc", "latency_ms", "device_seconds", "status", "learned",
             "chance")


def _zoo():
    try:
        from .. import zoo
    except ImportError as exc:
        raise NasxError(f"the model zoo is not available: {exc}") from None
    return zoo


def _model_names(text: str) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise NasxError("--models is empty; give a comma-separated list such as lenet5,resnet20")
    zoo = _zoo()
    for n in names:
        zoo.get_spec(n)  # NasxError with close matches for an unknown name
    return names


TASK_COLUMNS = ("batch_size", "lr", "momentum", "nesterov", "weight_decay", "schedule", "label_smoothing")


def _row(name: str, result, recipe: str, task, learned: dict) -> dict:
    m = result.metrics
    return {"model": name, "status": result.status, "reason": result.reason, **m,
            "latency_ms": m.get("latency_ms_b1"), "recipe": recipe, **learned,
            **{k: getattr(task, k) for k in TASK_COLUMNS}}


def _write_csv(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    keys = list(dict.fromkeys(k for r in rows for k in r))
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=keys)
        w.writeheader()
        w.writerows(rows)


def _fmt(v, spec: str) -> str:
    return "-" if v is None else format(v, spec)


def _table(rows: list[dict], title: str):
    from rich.table import Table

    t = Table(title=title)
    for col, just in (("model", "left"), ("params", "right"), ("MACs", "right"), ("val acc", "right"),
                      ("test acc", "right"), ("latency b1 ms", "right"), ("device s", "right"),
                      ("status", "left")):
        t.add_column(col, justify=just)
    for r in rows:
        pct = (lambda v: "-" if v is None else f"{100 * v:.2f}%")
        status = r["status"] if not r["reason"] else f"{r['status']}: {r['reason']}"
        if not r["learned"]:
            status += f" (did not learn: chance {100 * r['chance']:.1f}%)"
        t.add_row(r["model"], _fmt(r["params"], ","), _fmt(r["macs"], ","), pct(r["val_acc"]),
                  pct(r["test_acc"]), _fmt(r["latency_ms"], ".3f"), _fmt(r["device_seconds"], ".1f"), status)
    return t


@click.command("baselines")
@click.option("--data", default="digits", show_default=True, help="Data spec: digits, fashion-mnist, cifar10:/dir...")
@click.option("--models", default=DEFAULT_MODELS, show_default=True, help="Comma-separated zoo model names.")
@click.option("--epochs", type=int, default=10, show_default=True)
@click.option("--batch-size", type=int, default=128, show_default=True)
@click.option("--lr", type=float, default=0.05, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--recipe", type=click.Choice(["common", "paper"]), default="common", show_default=True,
              help="common: the search protocol for every model; paper: each model's paper recipe scaled "
                   "to the data (--epochs still applies).")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True)
@click.option("--max-train", type=int, default=None, help="Subsample the training split to this many images.")
@click.option("--out", type=click.Path(dir_okay=False), default=None,
              help="CSV file (default runs/baselines-<data>.csv).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON list instead of the table.")
def command(data, models, epochs, batch_size, lr, seed, recipe, device, max_train, out, as_json):
    """Train zoo models on DATA under the search protocol and tabulate accuracy and cost."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from ..data import load_dataset
    from ..evaluate import Task, TrainingEvaluator
    from ..evaluate.baseline_recipes import BASELINE_RECIPES
    from ..learned import assess

    names = _model_names(models)
    task = Task(data=data, epochs=epochs, batch_size=batch_size, lr=lr, seed=seed, device=device,
                max_train=max_train)
    dataset = load_dataset(data, val_fraction=task.val_fraction, max_train=max_train)
    evaluator = TrainingEvaluator(dataset)
    err = Console(stderr=True)
    rows = []
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[acc]}"),
               TimeElapsedColumn())
    with Progress(*columns, console=err, transient=True) as progress:
        for name in names:
            model_task, notes = BASELINE_RECIPES[recipe](name, task, len(dataset.y_train))
            for note in notes:
                progress.console.print(f"{name}: {note}", style="dim", soft_wrap=True)
            bar = progress.add_task(name, total=epochs, acc="")

            def report(epoch, m, bar=bar):
                progress.update(bar, completed=epoch, acc=f"val {100 * m['val_acc']:.1f}%")

            result = evaluator.evaluate(f"zoo:{name}", model_task, report)
            progress.update(bar, completed=epochs)
            learned, why = assess(name, result, model_task, dataset)
            if why:
                progress.console.print(why, style="yellow", soft_wrap=True, highlight=False)
            rows.append(_row(name, result, recipe, model_task, learned))
    path = Path(out) if out else Path("runs") / f"baselines-{re.sub(r'[^A-Za-z0-9_.-]+', '_', dataset.name)}.csv"
    _write_csv(path, rows)
    if as_json:
        click.echo(json.dumps([{k: r[k] for k in JSON_KEYS} for r in rows]))
        return 0
    out_console = Console()
    if not out_console.is_terminal:
        out_console = Console(width=140)  # a pipe or file: do not squeeze the table into 80 columns
    out_console.print(_table(rows, f"baselines on {dataset.name} ({epochs} epochs, {recipe} recipe, seed {seed})"))
    err.print(f"wrote {path}")
    return 0
