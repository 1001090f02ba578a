"""`nasx finalize RUN`: run, continue or extend a run's final phase (nasx.final): the top K found
architectures and every baseline retrained from scratch under one protocol and S seeds; nothing
already journaled is trained again. Prints the final table and the verdict."""

from __future__ import annotations

import click
import yaml

from ..config import load_config
from ..errors import NasxError
from ..runlock import run_lock
from ..runs import RunDir
from .common import console
from .progress import RichProgress
from .show import print_final

DEFAULT_TOP = 3


@click.command(help="Retrain the top K found architectures and the baselines under one protocol; print the verdict.")
@click.argument("run_dir", type=click.Path())
@click.option("--top", type=int, default=None, help=f"Found architectures to retrain (default: the run's, else {DEFAULT_TOP}).")
@click.option("--epochs", type=int, default=None, help="Epochs of every final training (default: the run's baseline epochs).")
@click.option("--seeds", type=int, default=None, help="Seeds per architecture (default: the run's, else 1).")
@click.option("--budget", default=None, help="The final phase's own device budget (e.g. 30cpu-min); default none.")
@click.option("--baselines", default=None, help="Comma list of zoo models to compare with (default: the run's).")
@click.option("--executor", type=click.Choice(["ray", "inprocess"]), default=None, help="Default: the run's.")
@click.option("--address", default=None, help="Join an existing Ray cluster.")
@click.option("--no-dashboard", is_flag=True, default=False)
def command(run_dir, top, epochs, seeds, budget, baselines, executor, address, no_dashboard):
    run = RunDir.open(run_dir)
    with run_lock(run.path):
        _finalize(run, top, epochs, seeds, budget, baselines, executor, address, no_dashboard)


def _finalize(run, top, epochs, seeds, budget, baselines, executor, address, no_dashboard):
    from ..execute import create_executor
    from ..final.phase import run_final_phase
    from ..final.plan import search_ranking
    from ..search import finalize

    if top is not None and top < 1:
        raise NasxError(f"--top must be at least 1 (found architectures to retrain), got {top}")
    saved = run.config()
    final = dict(saved.get("final") or {})
    final.setdefault("top", DEFAULT_TOP)
    if not final["top"]:
        final["top"] = DEFAULT_TOP
    final.update({k: v for k, v in (("top", top), ("epochs", epochs), ("seeds", seeds), ("budget", budget))
                  if v is not None})
    overrides = {"final": final, "executor": executor, "address": address,
                 "dashboard": False if no_dashboard else None, "baselines": baselines}
    cfg = load_config(None, {**saved, **{k: v for k, v in overrides.items() if v is not None}})
    settings = cfg.final_settings()
    if not settings.enabled:
        raise NasxError("--top must be at least 1 to run a final phase", keys=("top",))
    if not search_ranking(run):
        raise NasxError(f"run {run.path.name} has no finished trial to retrain; nothing to finalize")
    (run.path / "config.yaml").write_text(yaml.safe_dump(cfg.to_dict(), sort_keys=False))
    ex = create_executor(cfg.executor, cfg)
    progress = RichProgress(console)
    for line in ex.start():
        progress.message(line)
    run_final_phase(cfg, run, ex, progress, settings, command="finalize")
    finalize(run, [])
    print_final(run)
