"""`nasx bench`: compare search strategies on a tabular benchmark over many seeds.

Prints per strategy the mean ± std test accuracy of the pick at 25/50/100/150 queries and how many
queries it takes to reach the target, as a rich table (or one JSON object with --json), and writes
a plot of mean accuracy vs queries. The protocol itself lives in nasx.bench (nasx/bench/protocol.py).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import click

from ..bench.tables import BENCHMARKS, TABLES
from ..errors import NasxError
from .common import console, err_console

_TARGETS = ", ".join(f"{name}: {t.target:.1f}" for name, t in TABLES.items() if t.target is not None)


def _strategies(text: str) -> list[str]:
    from ..strategies import create_strategy, strategy_names  # noqa: F401  (registers all)

    names = list(dict.fromkeys(n.strip() for n in text.split(",") if n.strip()))
    if not names:
        raise NasxError("--strategy is empty; give a comma-separated list such as random,pnas")
    for n in names:
        if n not in strategy_names():
            import difflib

            close = difflib.get_close_matches(n, strategy_names(), n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise NasxError(f"unknown strategy {n!r}{hint}; choose from {', '.join(strategy_names())}")
    return names


def _pm(cell: dict) -> str:
    return "-" if cell["mean"] is None else f"{cell['mean']:.2f} ± {cell['std']:.2f}"


def _table(summary: dict, seeds: int, target: float, optimum: float, times: dict, judge: str = "test_acc_200ep"):
    from rich.table import Table

    cps = list(next(iter(summary.values()))["at"])
    t = Table(title=f"NAS-Bench-201 strategies: {judge} (%) of the pick, {seeds} seeds "
                    f"(optimum {optimum:.2f})")
    t.add_column("strategy")
    for c in cps:
        t.add_column(f"@{c}", justify="right")
    t.add_column(f"queries to {target:g}", justify="right")
    t.add_column("reached", justify="right")
    t.add_column("s / search", justify="right")
    for s, row in summary.items():
        q = row["queries_to_target"]
        t.add_row(s, *[_pm(row["at"][c]) for c in cps], "-" if q is None else f"{q:.1f}",
                  f"{100 * row['reached']:.0f}%", f"{times[s]:.2f}")
    return t


@click.command("bench", epilog="Each search runs through the search driver: a proposal of a cell the search "
                               "already queried is answered from its result, free, as in a real search.")
@click.argument("benchmark", type=click.Choice(list(BENCHMARKS)))
@click.option("--strategy", "strategy", default="random,tpe,evolution,pnas", show_default=True,
              help="Comma-separated strategy names.")
@click.option("--queries", type=click.IntRange(1, 100_000), default=150, show_default=True,
              help="Queries (table lookups of 12-epoch accuracy) per search.")
@click.option("--seeds", type=click.IntRange(1, 100_000), default=100, show_default=True,
              help="Searches per strategy (seeds 0..N-1).")
@click.option("--target", type=float, default=None,
              help=f"Test accuracy (%) to reach [default: the bundled table's ({_TARGETS}), else half a point "
                   "under the table's optimum].")
@click.option("--table", type=str, default=None, metavar="NAME|PATH",
              help=f"A bundled table ({', '.join(TABLES)}; default {next(iter(TABLES))}) or a CSV(.gz) with columns "
                   "arch, val_acc_12ep and test_acc_200ep (or test_acc_12ep).")
@click.option("--plot", "plot_path", type=str, default="runs/bench-nb201.png", show_default=True,
              help="Where to write the accuracy-vs-queries plot ('' for none).")
@click.option("--workers", type=click.IntRange(0, 256), default=0, show_default=True,
              help="Processes (0: one per CPU, in-process for a few searches; 1: in-process).")
@click.option("--prescreen", default=None, metavar="PROXY:N",
              help="Each proposal is the best of N candidates by a data-free proxy (synflow).")
@click.option("--classes", type=click.IntRange(1, 100_000), default=None,
              help="Classes of the table's data set (the proxies' network is built with this many outputs) "
                   "[default: the bundled table's, else 10].")
@click.option("--image-size", type=click.IntRange(4, 4096), default=None,
              help="Image side of the table's data set, for the proxies' network "
                   "[default: the bundled table's, else 32].")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object: strategy -> {queries: {mean, std}}.")
def command(benchmark, strategy, queries, seeds, target, table, plot_path, workers, prescreen, classes, image_size,
            as_json):
    from .. import bench

    names = _strategies(strategy)
    table, known = bench.resolve_table(table)
    classes = classes or (known.classes if known else 10)
    image_size = image_size or (known.image_size if known else bench.IMAGE_SIZE)
    tab = bench.load_bench_table(benchmark, table)
    if target is None:
        target = known.target if known and known.target is not None else round(tab.optimum - 0.5, 1)
    proxy_line = _proxies(bench, prescreen, table, classes, workers, image_size) if prescreen else ""
    start = time.perf_counter()
    traces, secs = _run(bench, benchmark, names, seeds, queries, table, workers, prescreen, classes, image_size)
    wall = time.perf_counter() - start
    summary = bench.summarize_traces(traces, target)
    if plot_path:
        bench.plot_traces(traces, Path(plot_path), tab.optimum, target,
                   f"{benchmark}: {seeds} seeds, pick = best val_acc_12ep, judged by {tab.judge}")
    if as_json:
        click.echo(json.dumps({s: row["at"] for s, row in summary.items()}))
        return 0
    if proxy_line:
        console.print(proxy_line, highlight=False)
    console.print(_table(summary, seeds, target, tab.optimum, secs, tab.judge))
    console.print(f"{seeds * len(names)} searches of {queries} queries in {wall:.1f} s wall; table {tab.path}"
                  + (f"; plot {plot_path}" if plot_path else ""))
    return 0


def _proxies(bench, prescreen, table, classes, workers, image_size) -> str:
    """Check --prescreen, score every cell of the table once (cached), and say what it cost."""
    from ..proxies import get_proxy, parse_prescreen

    name, _ = parse_prescreen(prescreen)
    if get_proxy(name).needs_data:
        raise NasxError(f"--prescreen {prescreen}: proxy {name} needs a minibatch of the table's images, "
                        "which the bench does not have; use synflow")
    if err_console.is_terminal:
        err_console.print(f"scoring the table's cells with {name} (once; cached) ...")
    r = bench.table_scores(name, table, classes, workers, image_size=image_size)
    per = f", {1000 * r['seconds'] / r['computed']:.0f} ms per cell" if r["computed"] else ""
    rho = "-" if r["spearman"] is None else f"{r['spearman']:.3f}"
    shipped = f", {r['bundled']:,} from the scores shipped with nasx" if r["bundled"] else ""
    cached = r["cells"] - r["computed"] - r["bundled"]
    return (f"{name}: Spearman {rho} with {r['judge']} over {r['cells']:,} cells; computed {r['computed']:,} "
            f"now in {r['seconds']:.1f} s{per}{shipped}" + (f", {cached:,} from the cache" if cached > 0 else ""))


def _run(bench, benchmark, names, seeds, queries, table, workers, prescreen=None, classes=10, image_size=32):
    """bench.run_bench with a rich progress bar per strategy on stderr (when it is a terminal)."""
    if not err_console.is_terminal:
        return bench.run_bench(benchmark, names, seeds, queries, table, workers, prescreen=prescreen,
                               classes=classes, image_size=image_size)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    cols = (TextColumn("{task.description:>10}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*cols, console=err_console, transient=True) as progress:
        tasks = {s: progress.add_task(s, total=seeds) for s in names}
        return bench.run_bench(benchmark, names, seeds, queries, table, workers,
                               on_done=lambda s: progress.advance(tasks[s]), prescreen=prescreen, classes=classes,
                               image_size=image_size)
