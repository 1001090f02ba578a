"""`nasx train`: retrain one architecture from scratch with full training, and keep the weights.

A search trains candidates briefly; the winner deserves a full run. This trains the genotype with
the evaluator's protocol (same Task fields as a search) or a published recipe (`--recipe darts`,
`--recipe imagenet_mobile`, see nasx.evaluate.recipes; `--recipe darts_rnn` for a recurrent cell, a
language model: nasx.lm) with command-line options on top, prints a line per epoch (loss, the task
kind's validation metrics, lr, ETA) and the metrics table. The engine is nasx.training:
settings precedence (run defaults < recipe < options), the training folder (settings.json +
genotype.json from the start, checkpoint.pt after every epoch so `nasx train --resume DIR`
continues a killed training with nothing lost, then weights.pt + metrics.json), ready for
`nasx export DIR --out EXPORT`. This module parses the options and prints.
"""

from __future__ import annotations

import math
import time

import click

from ..spaces.cell_network import SKELETONS
from .common import console, err_console

# every kind's `--recipe` names (TaskKind.train_recipes; tests/test_train_lm.py keeps them in step)
RECIPES = ("darts", "imagenet_mobile", "darts_rnn")
SHOWN = (("val_loss", "val loss", ".4f"), ("train_loss", "train loss", ".4f"), ("params", "params", ","),
         ("macs", "MACs", ","), ("latency_ms_b1", "latency b1 ms", ".3f"), ("epochs_done", "epochs", "d"),
         ("device_seconds", "device s", ".1f"))


def _quality(kind) -> list[tuple[str, str, str]]:
    """(key, label, format) of the task kind's own metrics: accuracies in %, bits and perplexities as numbers."""
    return [(m.name, m.label, "pct" if m.fraction else ".4f") for m in kind.metrics]


def _fmt(value, spec: str) -> str:
    if value is None:
        return "-"
    return f"{100 * value:.2f}%" if spec == "pct" else format(value, spec)


def _table(metrics: dict, title: str, kind):
    from rich.table import Table

    t = Table(title=title)
    t.add_column("metric")
    t.add_column("value", justify="right")
    for key, label, spec in (*_quality(kind), *SHOWN):
        t.add_row(label, _fmt(metrics.get(key), spec))
    return t


def _hms(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "-"
    s = round(seconds)
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


class _Progress:
    """One line per epoch (epoch, train loss, val loss/acc, lr, drop-path, s/epoch, ETA) and, on a
    terminal, a rich progress bar; the ETA is this session's mean epoch wall time x epochs left."""

    def __init__(self, epochs: int, first: int, kind):
        self.epochs, self.first, self.t0 = epochs, first, time.perf_counter()
        self.shown = [q for q in _quality(kind) if q[0].startswith("val_")]
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
        quality = "  ".join(f"{label} {_fmt(m.get(key), spec)}" for key, label, spec in self.shown)
        err_console.print(f"epoch {epoch:>3}/{self.epochs}  train loss {m['train_loss']:.4f}  "
                          f"val loss {m['val_loss']:.4f}  {quality}{extra}  "
                          f"{per_epoch:.1f} s/epoch  ETA {_hms(eta)}", soft_wrap=True)
        if self.bar is not None:
            key, label, spec = self.shown[0]
            self.bar.update(self.task_id, completed=epoch,
                            description=f"loss {m['train_loss']:.3f} {label} {_fmt(m.get(key), spec)}")

    def stop(self) -> None:
        if self.bar is not None:
            self.bar.stop()


@click.command("train")
@click.option("--genotype", "genotype_file", type=click.Path(dir_okay=False), default=None,
              help="Genotype JSON file (bare, or `nasx sample --json` output); inside a run directory "
                   "(e.g. runs/R/best/rank1.genotype.json) the run's settings become the defaults.")
@click.option("--run", "run_dir", type=click.Path(file_okay=False), default=None,
              help="Train a trial of this run (its best, or --trial) with the run's settings as defaults.")
@click.option("--trial", default=None, help="Trial id of --run (default: its best trial).")
@click.option("--space", default=None, help="Space of the genotype (when the file does not name it).")
@click.option("--data", default=None, help="Data spec: digits, fashion-mnist, cifar10:/dir, npz:/file.npz ...; "
                                          "shakespeare, text:/file for a language model (default: the run's)")
@click.option("--recipe", type=click.Choice(RECIPES), default=None,
              help="A published final-training protocol (docs/train.md; darts_rnn: a language model); "
                   "options given override it.")
@click.option("--epochs", type=click.IntRange(1, 100_000), default=None,
              help="Epochs (default: the recipe's, else the run's).")
@click.option("--batch-size", type=click.IntRange(1, 1 << 16), default=None, help="Default: the recipe's, else the run's, else 128 (a language model: 64).")
@click.option("--lr", type=click.FloatRange(0, None, min_open=True), default=None,
              help="Peak learning rate (default: the recipe's, else the run's, else 0.05; a language model: 20).")
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
              help="Network setting of the space (e.g. channels=16, hidden=64, dropout=0.5); default: the "
                   "run's. Repeatable.")
@click.option("--seed", type=int, default=None, help="Seed (default 0).")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default=None, help="Default auto.")
@click.option("--max-train", type=click.IntRange(1, None), default=None,
              help="Subsample the training split (default: the run's, else all).")
@click.option("--out", type=click.Path(), default=None, help="Output folder (default runs/train-<space>-<hash>).")
@click.option("--force", is_flag=True, help="Replace a non-empty --out folder.")
@click.option("--resume", "resume_dir", type=click.Path(), default=None, metavar="DIR",
              help="Continue the training in DIR from its last checkpoint, with its recorded settings.")
def command(**options):
    """Train an architecture (--genotype FILE, or a run's trial) from scratch; save weights and metrics."""
    import signal

    from ..training import TrainingOptions, prepare_training, run_training
    from ..training.folder import FILES

    try:
        signal.signal(signal.SIGTERM, signal.default_int_handler)  # SIGTERM ends it like Ctrl-C
    except ValueError:  # not the main thread (embedded use): leave signals alone
        pass
    prepared = prepare_training(TrainingOptions(**options))  # every check; nothing written yet
    for note in prepared.notes:
        err_console.print(note, soft_wrap=True)
    err_console.print(prepared.describe(), soft_wrap=True)
    progress = _Progress(prepared.task.epochs, prepared.first_epoch, prepared.kind)
    try:
        outcome = run_training(prepared, progress, on_checkpoint=progress.checkpoint_written)
    finally:
        progress.stop()
    g = prepared.genotype
    console.print(_table(outcome.metrics, f"{g.space} {g.hash[:8]} on {prepared.dataset.name}", prepared.kind))
    console.print(f"wrote {outcome.out_dir}: {', '.join(FILES)}")
    return 0
