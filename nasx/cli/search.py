"""`nasx search`: a search on Ray (embedded local Ray by default), writing runs/<run-id>/.

The flags are merged over the YAML config here; everything else (checks, data, run directory,
lock) is `nasx.search.prepare_search`, done once."""

from __future__ import annotations

import click

from ..config import SearchConfig, load_config
from ..spaces.cell_network import SKELETONS
from ..spaces.network_items import parse_network_items
from ..strategies import strategy_names
from .common import console
from .progress import RichProgress
from .show import print_final, print_leaderboard


@click.command(help="Run an architecture search (embedded local Ray by default) into runs/<run-id>/.")
@click.option("--space", default=None, help="Search space (see `nasx spaces`). Default: cells.")
@click.option("--budget", default=None, help="e.g. 100gpu-h, 2cpu-h, 90min, 500trials; combine with '+'.")
@click.option("--strategy", default=None,
              help=f"{' | '.join(strategy_names())}. Default: {SearchConfig.strategy}.")
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
@click.option("--network", "network_items", multiple=True, metavar="KEY=VALUE",
              help="Any network setting of the space (e.g. hidden=64, tied=false); repeatable; beats the YAML.")
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
def command(config_file, no_dashboard, channels, cells, skeleton, network_items, allow_repeats, final_top, final_epochs, final_seeds,
            final_budget, max_latency_ms, max_params, max_macs, **flags):
    flags["dashboard"] = False if no_dashboard else None
    flags["allow_repeats"] = True if allow_repeats else None
    from ..search import prepare_search

    cfg = load_config(config_file, flags)
    # nested YAML blocks (network, final, constraints): the flags win key by key
    cfg.network = {**cfg.network, **parse_network_items(network_items),
                   **{k: v for k, v in (("channels", channels), ("cells", cells), ("skeleton", skeleton))
                      if v is not None}}
    cfg.final = {**cfg.final, **{k: v for k, v in (("top", final_top), ("epochs", final_epochs),
                                                    ("seeds", final_seeds), ("budget", final_budget)) if v is not None}}
    cfg.constraints = {**cfg.constraints, **{k: v for k, v in (("max_latency_ms", max_latency_ms),
                                                                ("max_params", max_params), ("max_macs", max_macs))
                                             if v is not None}}
    # checks, data, strategy options, then the run directory and its lock: a refusal before any
    # trial leaves no run directory behind
    with prepare_search(cfg) as prepared:
        console.print(f"nasx search: {cfg.strategy} on {cfg.space} with {cfg.data}, budget {cfg.budget}; "
                      f"run directory {prepared.run.path}")
        prepared.search(RichProgress(console))
    print_leaderboard(prepared.run, top=10)
    print_final(prepared.run)
