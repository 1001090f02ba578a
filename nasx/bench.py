"""The strategy benchmark protocol on a tabular benchmark (NAS-Bench-201): many seeded searches per
strategy, each query a table lookup, so strategies are compared on the same footing in seconds.

Every search is a real nasx search: the search driver (budget, "no trial bought twice",
`--prescreen`) and the in-process executor's ask/tell loop, with the tabular evaluator as the
trial runner and the run kept in memory (`runs.MemoryRun`). Protocol (as in the NAS-Bench-201
paper): a query returns the cell's 12-epoch validation accuracy (`val_acc_12ep`, the cheap signal
a real search would pay for); the pick after n queries is the queried cell with the best
`val_acc_12ep` so far (the first one on ties), judged by the table's test column (`test_acc_200ep`,
or `test_acc_12ep` in a table without it: the bundled CIFAR-100 and ImageNet16-120 ones). A query is a
trial the driver launches: a strategy that proposes a cell the run already has is answered from
the run, free (as in a real search). Cells missing from a table count as failed queries. Searches
run sequentially (ask, look up, tell), so a strategy's stage barrier never stalls them; one that
stops early keeps its last pick.

With `prescreen="synflow:N"` each proposal is the best of N candidates by the proxy, computed on
nasx's own NB201 network of each cell (`table_scores` fills the on-disk proxy cache for every cell
of the table once, and reports what that cost).
"""

from __future__ import annotations

import math
import os
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from .errors import NasxError

CHECKPOINTS = (25, 50, 100, 150)
MIN_POOL_JOBS = 16
PROXY_SEED = 0  # one proxy score per cell for every search seed (so the table's cells are scored once)
IMAGE_SIZE = 32  # NAS-Bench-201's CIFAR images (ImageNet16-120: 16)


@dataclass(frozen=True)
class BundledTable:
    """A table that ships with nasx, by name: its file and its data set's classes and image size."""

    file: str
    classes: int
    image_size: int
    target: float | None = None  # default --target (None: half a point under the table's optimum)


TABLES: dict[str, BundledTable] = {
    "cifar10": BundledTable("nb201/nb201_cifar10.csv.gz", 10, 32, 94.0),
    "cifar100": BundledTable("nb201/nb201_cifar100_12ep.csv.gz", 100, 32),
    "imagenet16-120": BundledTable("nb201/nb201_imagenet16_120_12ep.csv.gz", 120, 16),
}


def resolve_table(table: str | None) -> tuple[str | None, BundledTable | None]:
    """(path or None for the default, the bundled entry if `table` names one) for --table NAME|PATH."""
    from ._data import data_dir

    if table is None or table == "cifar10":
        return None, TABLES["cifar10"]
    if table in TABLES:
        folder, name = TABLES[table].file.split("/")
        return str(data_dir(folder) / name), TABLES[table]
    if not Path(table).exists() and "/" not in table and "." not in table:
        import difflib

        close = difflib.get_close_matches(table, TABLES, n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        raise NasxError(f"--table {table!r} is neither a file nor a bundled table{hint}; "
                        f"bundled: {', '.join(TABLES)}")
    return table, None


@dataclass(frozen=True)
class Benchmark:
    space: str
    default_table: str  # relative to the package data folder
    target: float       # test accuracy (%) whose queries-to-reach is reported
    # per-strategy constructor options for this benchmark's budget (tuned here, not in the strategies)
    options: dict = field(default_factory=dict)


BENCHMARKS: dict[str, Benchmark] = {
    "nb201": Benchmark("nb201", "nb201/nb201_cifar10.csv.gz", 94.0, {
        "evolution": {"population": 20, "sample_size": 10},
        "pnas": {"beam": 10, "first_stage": 10, "explore": 0.1, "surrogate": "mlp_ensemble", "kappa": 0.5},
    }),
}


@dataclass
class Table:
    """A view of the tabular evaluator's table: arch -> accuracy (%)."""

    path: str
    val: dict[str, float]   # arch -> val_acc_12ep (%)
    test: dict[str, float]  # arch -> the judged test accuracy (%)
    judge: str = "test_acc_200ep"  # the column `test` holds

    @property
    def optimum(self) -> float:
        return max(self.test.values())


@lru_cache(maxsize=4)
def evaluator(table: str | None = None):
    """The tabular evaluator of `table` (the bundled CIFAR-10 table when None); one per process."""
    from .evaluate.tabular import TabularEvaluator

    return TabularEvaluator(table)


def load_table(benchmark: str, path: str | None = None) -> Table:
    """Read (and check) a table with columns arch, val_acc_12ep and test_acc_200ep (or
    test_acc_12ep); NasxError otherwise."""
    if benchmark not in BENCHMARKS:
        raise NasxError(f"unknown benchmark {benchmark!r}; choose from {', '.join(BENCHMARKS)}")
    ev = evaluator(None if path is None else str(path))
    t = ev.table
    return Table(ev.path, dict(zip(t["arch"], t["val_acc_12ep"].tolist())),
                 dict(zip(t["arch"], t[ev.judge].tolist())), ev.judge)


def tabular_runner(ev):
    """A trial runner (spec -> outcome) that looks the cell up instead of training it; a query
    costs the evaluator's simulated device-seconds."""
    from .spaces import genotype_from_obj

    def run(spec, report=None) -> dict:
        cost = ev.cost_per_query_s
        try:
            res = ev.evaluate(genotype_from_obj(spec.genotype))
        except NasxError as exc:
            return {"status": "failed", "reason": str(exc), "metrics": {}, "wall_seconds": cost}
        return {"status": res.status, "reason": res.reason, "metrics": res.metrics, "wall_seconds": cost}
    return run


def run_search(benchmark: str, strategy: str, seed: int, queries: int, table: str | None = None,
               prescreen: str | None = None, classes: int = 10, image_size: int = IMAGE_SIZE) -> np.ndarray:
    """One seeded search through the driver and the in-process executor; returns the picked cell's
    test accuracy (%) after each query (NaN before any)."""
    from .config import SearchConfig
    from .execute.driver import SearchDriver
    from .execute.inprocess import run_inprocess
    from .runs import MemoryRun
    from .strategies.prescreen import with_prescreen

    bm = BENCHMARKS[benchmark]
    cfg = SearchConfig(space=bm.space, strategy=strategy, budget=f"{queries}trials", seed=seed,
                       executor="inprocess", dashboard=False, keep_weights=False,
                       strategy_options=dict(bm.options.get(strategy, {}))).validate()

    def wrap(s):
        return with_prescreen(s, prescreen, seed=PROXY_SEED, num_classes=classes,
                              input_shape=(3, image_size, image_size))

    ev = evaluator(table)
    run = MemoryRun()
    driver = SearchDriver(cfg, run, 0.0, wrap=wrap)
    try:
        run_inprocess(driver, run=tabular_runner(ev))
    finally:
        driver.strategy.close()
    trace = np.full(queries, np.nan)
    best_val, pick, q = -math.inf, math.nan, 0
    for rec in run.journal[:queries]:
        m = rec["metrics"]
        if rec["status"] == "ok" and m.get("val_acc") is not None and m["val_acc"] > best_val:
            best_val, pick = m["val_acc"], 100.0 * m[ev.judge]
        trace[q] = pick
        q += 1
    trace[q:] = pick
    return trace


def timed_search(benchmark, strategy, seed, queries, table=None, prescreen=None, classes=10, image_size=IMAGE_SIZE):
    t0 = time.perf_counter()
    trace = run_search(benchmark, strategy, seed, queries, table, prescreen, classes, image_size)
    return trace, time.perf_counter() - t0


def _init_worker():
    import torch

    torch.set_num_threads(1)  # one search per core


def _pool(workers: int):
    import multiprocessing as mp

    ctx = mp.get_context("forkserver")  # fresh workers: never fork a parent that already ran torch threads
    ctx.set_forkserver_preload(["nasx.bench", "nasx.strategies"])
    return ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_worker)


def _auto_workers(workers: int, jobs: int) -> int:
    if not workers:  # auto: a handful of searches is faster here than starting worker processes
        workers = 1 if jobs < MIN_POOL_JOBS else os.cpu_count() or 1
    return max(1, min(workers, jobs))


def _scorer(proxy: str, classes: int, image_size: int = IMAGE_SIZE):
    from .proxies import ProxyScorer
    from .spaces import get_space

    return ProxyScorer(get_space("nb201"), proxy, seed=PROXY_SEED, num_classes=classes,
                       input_shape=(3, image_size, image_size))


def _score_cells(proxy: str, archs: list[str], classes: int, image_size: int = IMAGE_SIZE) -> tuple[int, float]:
    """Score `archs` into the cache; (cells computed, seconds computing)."""
    from .spaces import get_space

    space, sc = get_space("nb201"), _scorer(proxy, classes, image_size)
    for a in archs:
        sc.score(space.from_string(a))
    return sc.computed, sc.seconds


def table_scores(proxy: str, table: str | None = None, classes: int = 10, workers: int = 0,
                 chunk: int = 250, image_size: int = IMAGE_SIZE) -> dict:
    """The proxy's score of every cell of the table, from the cache, computing the missing ones
    (in `workers` processes). Returns {scores: arch -> score, computed, seconds, spearman, judge},
    where spearman is the scores' rank correlation with the table's judged test column."""
    from .spaces import get_space
    from .strategies.surrogates import spearman

    ev = evaluator(table)
    t = ev.table
    space, sc = get_space("nb201"), _scorer(proxy, classes, image_size)
    archs = list(t["arch"])
    missing = [a for a in archs if sc.cache.get(sc.key(space.from_string(a))) is None]
    bundled = 0
    if missing:
        bundled = _prefill_bundled(sc, space, missing, classes, image_size)
        if bundled:
            missing = [a for a in missing if sc.cache.get(sc.key(space.from_string(a))) is None]
    computed, seconds = 0, 0.0
    if missing:
        parts = [missing[i:i + chunk] for i in range(0, len(missing), chunk)]
        workers = _auto_workers(workers, len(parts) if len(missing) > 4 * chunk else 1)
        if workers <= 1:
            computed, seconds = _score_cells(proxy, missing, classes, image_size)
        else:
            with _pool(workers) as pool:
                for fut in as_completed([pool.submit(_score_cells, proxy, p, classes, image_size) for p in parts]):
                    c, s = fut.result()
                    computed, seconds = computed + c, seconds + s
    scores = {a: sc.score(space.from_string(a)) for a in archs}
    rho = spearman(ranked_last(np.array([scores[a] for a in archs])), t[ev.judge])
    return {"scores": scores, "computed": computed, "seconds": seconds, "spearman": rho, "cells": len(archs),
            "bundled": bundled, "judge": ev.judge}


def ranked_last(scores: np.ndarray) -> np.ndarray:
    """-inf scores (no signal reaches the output: cells cut off by `none` edges) tie below the rest,
    as the pre-screen ranks them."""
    ok = np.isfinite(scores)
    low = scores[ok].min() - 1.0 if ok.any() else 0.0
    return np.where(ok, scores, low)


def bundle_path(proxy: str, classes: int, image_size: int = IMAGE_SIZE) -> Path:
    """The shipped scores of all 15,625 NB201 cells (nasx's network, 16 channels, 3 x size x size,
    seed 0), by table index: `benchmarks/proxy_bundle.py` writes it from the cache."""
    from ._data import data_dir

    size = "" if image_size == IMAGE_SIZE else f"_{image_size}px"
    return data_dir("nb201") / f"proxy_{proxy}_classes{classes}{size}.csv.gz"


def _prefill_bundled(sc, space, missing: list[str], classes: int, image_size: int = IMAGE_SIZE) -> int:
    """Copy the bundled scores of the cells in `missing` into the cache; how many it had."""
    import csv
    import gzip

    p = bundle_path(sc.proxy.name, classes, image_size)
    if not p.is_file() or sc.network or sc.seed != PROXY_SEED:
        return 0
    want = set(missing)
    arch_of = evaluator(None).table["arch"]
    rows = []
    with gzip.open(p, "rt", newline="") as f:
        for r in csv.DictReader(f):
            a = arch_of[int(r["index"])]
            if a in want:
                rows.append((sc.key(space.from_string(a)), float(r["score"]), 0.0))
    sc.cache.put_many(rows)
    return len(rows)


def run_bench(benchmark: str, strategies: list[str], seeds: int, queries: int, table: str | None = None,
              workers: int = 0, on_done=None, prescreen: str | None = None,
              classes: int = 10, image_size: int = IMAGE_SIZE) -> tuple[dict[str, np.ndarray], dict[str, float]]:
    """Strategy -> (seeds, queries) array of picked test accuracies (seeds 0..seeds-1 for every
    strategy), and strategy -> mean seconds per search.

    `workers` processes share the (strategy, seed) searches (1: in this process; 0: one per CPU, or in
    this process for fewer than MIN_POOL_JOBS searches);
    `on_done(strategy)` is called after each search, for progress display.
    """
    out = {s: np.full((seeds, queries), np.nan) for s in strategies}
    secs = dict.fromkeys(strategies, 0.0)
    jobs = [(s, i) for i in range(seeds) for s in strategies]
    workers = _auto_workers(workers, len(jobs))

    def done(s, i, res):
        out[s][i], dt = res
        secs[s] += dt / seeds
        if on_done:
            on_done(s)

    if workers <= 1:
        for s, i in jobs:
            done(s, i, timed_search(benchmark, s, i, queries, table, prescreen, classes, image_size))
        return out, secs
    with _pool(workers) as pool:
        futures = {pool.submit(timed_search, benchmark, s, i, queries, table, prescreen, classes, image_size): (s, i)
                   for s, i in jobs}
        for fut in as_completed(futures):
            done(*futures[fut], fut.result())
    return out, secs


def checkpoints(queries: int) -> list[int]:
    return [c for c in CHECKPOINTS if c <= queries] or [queries]


def _num(x) -> float | None:
    return None if x is None or not math.isfinite(x) else round(float(x), 4)


def summarize(traces: dict[str, np.ndarray], target: float) -> dict:
    """Per strategy: mean/std (over seeds, %) of the pick at each checkpoint, and queries to `target`."""
    out = {}
    for s, tr in traces.items():
        row = {}
        for c in checkpoints(tr.shape[1]):
            col = tr[:, c - 1]
            col = col[np.isfinite(col)]
            row[str(c)] = {"mean": _num(col.mean()) if len(col) else None,
                           "std": _num(col.std()) if len(col) else None}
        hit = np.nan_to_num(tr, nan=-np.inf) >= target
        reached = hit.any(axis=1)
        first = hit.argmax(axis=1) + 1
        out[s] = {"at": row, "reached": float(reached.mean()),
                  "queries_to_target": _num(first[reached].mean()) if reached.any() else None}
    return out


def plot(traces: dict[str, np.ndarray], path: Path, optimum: float, target: float, title: str) -> Path:
    """Mean picked test accuracy vs queries, with a standard-error band per strategy."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for s, tr in traces.items():
        x = np.arange(1, tr.shape[1] + 1)
        with np.errstate(all="ignore"):
            m = np.nanmean(tr, axis=0) if np.isfinite(tr).any() else np.full(tr.shape[1], np.nan)
            se = np.nanstd(tr, axis=0) / np.sqrt(max(1, tr.shape[0]))
        ax.plot(x, m, label=s)
        ax.fill_between(x, m - se, m + se, alpha=0.2)
    ax.axhline(optimum, color="k", ls="--", lw=0.8, label=f"optimum {optimum:.2f}")
    ax.axhline(target, color="gray", ls=":", lw=0.8, label=f"target {target:.1f}")
    finite = np.concatenate([t[np.isfinite(t)] for t in traces.values()] + [np.array([optimum])])
    lo = np.percentile(finite, 5) if len(finite) > 1 else optimum - 1
    ax.set_ylim(max(lo, optimum - 3), optimum + 0.2)
    ax.set_xlabel("queries (12-epoch trainings)")
    ax.set_ylabel("test accuracy of the pick (%)")
    ax.set_title(title)
    ax.legend(loc="lower right")
    ax.grid(alpha=0.3)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
