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
nasx's own NB201 network of each cell (`proxy_scores.table_scores` fills the on-disk proxy cache
for every cell of the table once, and reports what that cost).
"""

from __future__ import annotations

import math
import time
from concurrent.futures import as_completed

import numpy as np

from ..errors import NasxError
from ..evaluate.outcome import TrialOutcome
from .pool import auto_workers, process_pool
from .proxy_scores import PROXY_SEED
from .tables import BENCHMARKS, IMAGE_SIZE, evaluator


def tabular_runner(ev):
    """A trial runner (spec -> outcome) that looks the cell up instead of training it; a query
    costs the evaluator's simulated device-seconds."""
    from ..spaces import genotype_from_obj

    def run(spec, report=None) -> TrialOutcome:
        cost = ev.cost_per_query_s
        try:
            res = ev.evaluate(genotype_from_obj(spec.genotype))
        except NasxError as exc:
            return TrialOutcome.failed(str(exc), wall_seconds=cost)
        return TrialOutcome(res.status, res.reason, dict(res.metrics), wall_seconds=cost)
    return run


def run_table_search(benchmark: str, strategy: str, seed: int, queries: int, table: str | None = None,
                     prescreen: str | None = None, classes: int = 10, image_size: int = IMAGE_SIZE) -> np.ndarray:
    """One seeded search on a table through the search driver and the in-process executor (what
    `nasx.search.run_search` does with real trainings); returns the picked cell's test accuracy (%)
    after each query (NaN before any)."""
    from ..config import SearchConfig
    from ..execute.driver import SearchDriver
    from ..execute.inprocess import run_inprocess
    from ..runs import MemoryRun
    from ..strategies.prescreen import with_prescreen

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
    trace = run_table_search(benchmark, strategy, seed, queries, table, prescreen, classes, image_size)
    return trace, time.perf_counter() - t0


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
    workers = auto_workers(workers, len(jobs))

    def done(s, i, res):
        out[s][i], dt = res
        secs[s] += dt / seeds
        if on_done:
            on_done(s)

    if workers <= 1:
        for s, i in jobs:
            done(s, i, timed_search(benchmark, s, i, queries, table, prescreen, classes, image_size))
        return out, secs
    with process_pool(workers) as pool:
        futures = {pool.submit(timed_search, benchmark, s, i, queries, table, prescreen, classes, image_size): (s, i)
                   for s, i in jobs}
        for fut in as_completed(futures):
            done(*futures[fut], fut.result())
    return out, secs
