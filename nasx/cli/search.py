"""`nasx search`: a search on Ray (embedded local Ray by default), writing runs/<run-id>/."""

from __future__ import annotations

import shutil

import click

from ..config import load_config
from ..errors import NasxError
from ..runlock import run_lock
from ..runs import RunDir
from ..spaces.cell_network import SKELETONS
from .common import console
from .progress import RichProgress
from .show import print_final, print_leaderboard


@click.command(help="Run an architecture search (embedded local Ray by default) into runs/<run-id>/.")
@click.option("--space", default=None, help="Search space (see `nasx spaces`). Default: cells.")
@click.option("--budget", default=None, help="e.g. 100gpu-h, 2cpu-h, 90min, 500trials; combine with '+'.")
@click.option("--strategy", default=None, help="tpe | random | nsga2 | gp | evolution | pnas ...")
@click.option("--data", default=None, help="digits | fashion-mnist | cifar10:/dir | idx:/dir | npz:/f.npz | folder:/dir")
@click.option("--config", "config_file", default=None, help="YAML config (a path or a name in configs/).")
@click.option("--objectives", default=None, help="Comma list starting with val_acc, e.g. val_acc,params.")
@click.option("--gpus-per-trial", type=float, default=None, help="Fractional GPUs per trial (default 0.25 with GPUs).")
@click.option("--cpus-per-trial", type=float, default=None, help="CPUs per trial (default 1).")
@click.option("--max-concurrent", type=int, default=None, help="At most this many trials at once.")
@click.option("--epochs", type=int, default=None, help="Training epochs per candidate.")
@click.option("--seed-arch", default=None, help="Comma list of classic designs to try first (resnet,inception,mobilenet).")
@click.option("--address", default=None, help="Join an existing Ray cluster (auto, or ray://host:port).")
@click.option("--run-dir", default=None, help="Run directory (default runs/<space>-<strategy>-<time>).")
@click.option("--no-dashboard", is_flag=True, default=False, help="Do not start the Ray dashboard.")
@click.option("--executor", type=click.Choice(["ray", "inprocess"]), default=None, help="ray (default) or inprocess.")
@click.option("--seed", type=int, default=None, help="Strategy and training seed.")
@click.option("--asha/--no-asha", default=None, help="ASHA early stopping on the per-epoch reports.")
@click.option("--baselines", default=None, help="Comma list of zoo models trained under the same protocol.")
@click.option("--prescreen", default=None, metavar="PROXY:N",
              help="Propose the best of N candidates by a zero-cost proxy (synflow, naswot, snip, ...).")
@click.option("--channels", type=click.IntRange(1, 4096), default=None,
              help="Proxy network width C (sets network.channels; cell spaces, nb201, macro).")
@click.option("--cells", type=click.IntRange(1, 1000), default=None, help="Proxy network depth L (cell spaces).")
@click.option("--skeleton", type=click.Choice(SKELETONS), default=None,
              help="Proxy network skeleton (cell spaces).")
@click.option("--allow-repeats", is_flag=True, default=False,
              help="Train an architecture again even when the run already has its result (noise estimates).")
@click.option("--baseline-epochs", type=int, default=None,
              help="Training epochs of every baseline (default --epochs); deep zoo models need more steps.")
@click.option("--final-top", type=int, default=None,
              help="Final phase: retrain the top K found architectures and every baseline under one protocol.")
@click.option("--final-epochs", type=int, default=None, help="Final phase epochs (default --baseline-epochs).")
@click.option("--final-seeds", type=int, default=None, help="Final phase seeds per architecture (default 1).")
@click.option("--final-budget", default=None,
              help="Final phase's own budget (e.g. 1cpu-h); default: its estimate is reserved from --budget.")
@click.option("--latency-runtime", default=None, help="Where latency_ms is measured: ort (default when installed) | torch.")
@click.option("--latency-batch", type=int, default=None, help="Batch size of the latency measurement (default 1).")
@click.option("--max-latency-ms", type=float, default=None, help="Constraint: never train a candidate slower than this.")
@click.option("--max-params", type=float, default=None, help="Constraint: never train a candidate with more params.")
@click.option("--max-macs", type=float, default=None, help="Constraint: never train a candidate with more MACs.")
def command(config_file, no_dashboard, channels, cells, skeleton, allow_repeats, final_top, final_epochs, final_seeds,
            final_budget, max_latency_ms, max_params, max_macs, **flags):
    flags["dashboard"] = False if no_dashboard else None
    flags["allow_repeats"] = True if allow_repeats else None
    cfg = load_config(config_file, flags)
    given = {k: v for k, v in (("channels", channels), ("cells", cells), ("skeleton", skeleton)) if v is not None}
    if given:  # flags win over the YAML's network: block, like every other flag
        from ..spaces import get_space

        cfg.network = {**cfg.network, **given}
        get_space(cfg.space).with_network(**cfg.network)  # an unknown or bad setting: one line, now
    final = {k: v for k, v in (("top", final_top), ("epochs", final_epochs), ("seeds", final_seeds),
                               ("budget", final_budget)) if v is not None}
    limits = {k: v for k, v in (("max_latency_ms", max_latency_ms), ("max_params", max_params),
                                ("max_macs", max_macs)) if v is not None}
    if final or limits:  # nested YAML blocks: the flags win key by key
        cfg.final, cfg.constraints = {**cfg.final, **final}, {**cfg.constraints, **limits}
        cfg.validate()
    from ..data import load_dataset
    from ..search import check_strategy, default_run_dir, run_search

    task = cfg.make_task()
    load_dataset(cfg.data, val_fraction=task.val_fraction, max_train=task.max_train)  # bad data: fail now
    check_strategy(cfg)  # bad strategy options: one line now, before a run directory exists
    path = cfg.run_dir or str(default_run_dir(cfg))
    cfg.run_dir = path
    run = RunDir.create(path, cfg.to_dict(), meta={"space": cfg.space, "strategy": cfg.strategy})
    try:
        with run_lock(run.path):  # one writer per run (run_search re-enters it)
            console.print(f"nasx search: {cfg.strategy} on {cfg.space} with {cfg.data}, budget {cfg.budget}; "
                          f"run directory {run.path}")
            run_search(cfg, run, RichProgress(console))
    except NasxError:
        if not run.records():  # refused before any trial (e.g. GPUs asked of a CPU-only cluster): leave nothing
            shutil.rmtree(run.path, ignore_errors=True)
        raise
    print_leaderboard(run, top=10)
    print_final(run)
