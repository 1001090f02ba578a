"""The strategy benchmark protocol on a tabular benchmark (NAS-Bench-201): many seeded searches per
strategy, each query a table lookup, so strategies are compared on the same footing in seconds.

Protocol (as in the NAS-Bench-201 paper): a query returns the cell's 12-epoch validation accuracy
(`val_acc_12ep`, the cheap signal a real search would pay for); the pick after n queries is the
queried cell with the best `val_acc_12ep` so far (the first one on ties), judged by its
`test_acc_200ep`. Every ask is a query: a strategy that proposes an already-queried cell pays for
it again (random search and PNAS de-duplicate themselves; evolution and TPE may repeat). Cells
missing from a table count as failed queries. Searches run sequentially (ask, look up, tell), so a
strategy's stage barrier never stalls them; one that stops early keeps its last pick.
"""

from __future__ import annotations

import csv
import gzip
import math
import os
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from .errors import NasxError
from .evaluate.result import Result

CHECKPOINTS = (25, 50, 100, 150)
TABLE_COLUMNS = ("arch", "val_acc_12ep", "test_acc_200ep")
MIN_POOL_JOBS = 16


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
    path: str
    val: dict[str, float]   # arch -> val_acc_12ep (%)
    test: dict[str, float]  # arch -> test_acc_200ep (%)

    @property
    def optimum(self) -> float:
        return max(self.test.values())


@lru_cache(maxsize=4)
def load_table(benchmark: str, path: str | None = None) -> Table:
    """Read (and check) a table with columns arch, val_acc_12ep, test_acc_200ep; NasxError otherwise."""
    from .spaces import get_space

    if path is None:
        from ._data import data_dir

        folder, name = BENCHMARKS[benchmark].default_table.split("/")
        p = data_dir(folder) / name
    else:
        p = Path(path)
    if not p.is_file():
        raise NasxError(f"benchmark table {p} does not exist" if not p.exists() else f"{p} is not a file")
    space = get_space(BENCHMARKS[benchmark].space)
    val, test = {}, {}
    try:
        with (gzip.open if p.suffix == ".gz" else open)(p, "rt", newline="") as f:
            reader = csv.DictReader(f)
            missing = [c for c in TABLE_COLUMNS if c not in (reader.fieldnames or [])]
            if missing:
                raise NasxError(f"{p} is not a benchmark table: missing column(s) {', '.join(missing)} "
                                f"(needs {', '.join(TABLE_COLUMNS)})")
            for n, row in enumerate(reader, start=2):
                try:
                    arch = space.from_string(row["arch"] or "").data["arch"]
                    v, t = float(row["val_acc_12ep"]), float(row["test_acc_200ep"])
                except (NasxError, TypeError, ValueError) as exc:
                    raise NasxError(f"{p} line {n}: malformed row ({str(exc).splitlines()[0] or 'bad value'})") from None
                if not (math.isfinite(v) and math.isfinite(t)):
                    raise NasxError(f"{p} line {n}: accuracies must be finite numbers")
                val[arch], test[arch] = v, t
    except (OSError, UnicodeDecodeError, csv.Error, EOFError) as exc:
        raise NasxError(f"cannot read benchmark table {p}: {exc}") from None
    if not val:
        raise NasxError(f"{p} has no rows")
    return Table(str(p), val, test)


def run_search(benchmark: str, strategy: str, seed: int, queries: int, table: str | None = None) -> np.ndarray:
    """One seeded search; returns the picked cell's test accuracy (%) after each query (NaN before any)."""
    from .spaces import get_space
    from .strategies import create_strategy

    tab = load_table(benchmark, table)
    bm = BENCHMARKS[benchmark]
    s = create_strategy(strategy, get_space(bm.space), seed=seed, max_trials=queries,
                        **bm.options.get(strategy, {}))
    trace = np.full(queries, np.nan)
    best_val, pick = -math.inf, math.nan
    for q in range(queries):
        p = None if s.finished else s.ask()
        if p is None:
            trace[q:] = pick
            break
        arch = p.genotype.data["arch"]
        if arch in tab.val:
            v = tab.val[arch]
            s.tell(p, Result("ok", None, {"val_acc": v / 100.0}))
            if v > best_val:
                best_val, pick = v, tab.test[arch]
        else:
            s.tell(p, Result("failed", "cell not in the table"))
        trace[q] = pick
    s.close()
    return trace


def timed_search(benchmark, strategy, seed, queries, table=None) -> tuple[np.ndarray, float]:
    t0 = time.perf_counter()
    trace = run_search(benchmark, strategy, seed, queries, table)
    return trace, time.perf_counter() - t0


def _init_worker():
    import torch

    torch.set_num_threads(1)  # one search per core


def run_bench(benchmark: str, strategies: list[str], seeds: int, queries: int, table: str | None = None,
              workers: int = 0, on_done=None) -> tuple[dict[str, np.ndarray], dict[str, float]]:
    """Strategy -> (seeds, queries) array of picked test accuracies (seeds 0..seeds-1 for every
    strategy), and strategy -> mean seconds per search.

    `workers` processes share the (strategy, seed) searches (1: in this process; 0: one per CPU, or in
    this process for fewer than MIN_POOL_JOBS searches);
    `on_done(strategy)` is called after each search, for progress display.
    """
    out = {s: np.full((seeds, queries), np.nan) for s in strategies}
    secs = dict.fromkeys(strategies, 0.0)
    jobs = [(s, i) for i in range(seeds) for s in strategies]
    if not workers:  # auto: a handful of searches is faster here than starting worker processes
        workers = 1 if len(jobs) < MIN_POOL_JOBS else os.cpu_count() or 1
    workers = min(workers, len(jobs))

    def done(s, i, res):
        out[s][i], dt = res
        secs[s] += dt / seeds
        if on_done:
            on_done(s)

    if workers <= 1:
        for s, i in jobs:
            done(s, i, timed_search(benchmark, s, i, queries, table))
        return out, secs
    import multiprocessing as mp

    ctx = mp.get_context("forkserver")  # fresh workers: never fork a parent that already ran torch threads
    ctx.set_forkserver_preload(["nasx.bench", "nasx.strategies"])
    with ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_worker) as pool:
        futures = {pool.submit(timed_search, benchmark, s, i, queries, table): (s, i) for s, i in jobs}
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
