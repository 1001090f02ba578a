"""The process pool the bench spreads searches and proxy scoring over: forkserver workers with one
torch thread each, and how many of them a job list is worth."""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor

MIN_POOL_JOBS = 16  # fewer jobs run in this process: starting workers would cost more than it saves


def _init_worker():
    import torch

    torch.set_num_threads(1)  # one search per core


def process_pool(workers: int) -> ProcessPoolExecutor:
    import multiprocessing as mp

    ctx = mp.get_context("forkserver")  # fresh workers: never fork a parent that already ran torch threads
    ctx.set_forkserver_preload(["nasx.bench", "nasx.strategies"])
    return ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_worker)


def auto_workers(workers: int, jobs: int) -> int:
    """Processes for `jobs` jobs: `workers`, or (0) one per CPU, in this process for a handful."""
    if not workers:  # auto: a handful of searches is faster here than starting worker processes
        workers = 1 if jobs < MIN_POOL_JOBS else os.cpu_count() or 1
    return max(1, min(workers, jobs))
