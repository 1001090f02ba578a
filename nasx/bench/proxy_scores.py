"""Zero-cost proxy scores of a table's cells for the pre-screened bench: `table_scores` fills the
on-disk proxy cache for every cell once (first from the scores shipped with nasx, `bundle_path`,
then computing what is still missing, in worker processes) and reports what that cost."""

from __future__ import annotations

from concurrent.futures import as_completed
from pathlib import Path

import numpy as np

from .pool import auto_workers, process_pool
from .tables import IMAGE_SIZE, evaluator

PROXY_SEED = 0  # one proxy score per cell for every search seed (so the table's cells are scored once)


def _scorer(proxy: str, classes: int, image_size: int = IMAGE_SIZE):
    from ..proxies import ProxyScorer
    from ..spaces import get_space

    return ProxyScorer(get_space("nb201"), proxy, seed=PROXY_SEED, num_classes=classes,
                       input_shape=(3, image_size, image_size))


def _score_cells(proxy: str, archs: list[str], classes: int, image_size: int = IMAGE_SIZE) -> tuple[int, float]:
    """Score `archs` into the cache; (cells computed, seconds computing)."""
    from ..spaces import get_space

    space, sc = get_space("nb201"), _scorer(proxy, classes, image_size)
    for a in archs:
        sc.score(space.from_string(a))
    return sc.computed, sc.seconds


def table_scores(proxy: str, table: str | None = None, classes: int = 10, workers: int = 0,
                 chunk: int = 250, image_size: int = IMAGE_SIZE) -> dict:
    """The proxy's score of every cell of the table, from the cache, computing the missing ones
    (in `workers` processes). Returns {scores: arch -> score, computed, seconds, spearman, judge},
    where spearman is the scores' rank correlation with the table's judged test column."""
    from ..spaces import get_space
    from ..strategies.surrogates import spearman

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
        workers = auto_workers(workers, len(parts) if len(missing) > 4 * chunk else 1)
        if workers <= 1:
            computed, seconds = _score_cells(proxy, missing, classes, image_size)
        else:
            with process_pool(workers) as pool:
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
    from .._data import data_dir

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
