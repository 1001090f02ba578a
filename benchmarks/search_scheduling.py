"""Scheduling overhead of `nasx search` on local Ray: the same fixed set of trials with 1 and with
2 CPU workers, side by side in one run.

Prints, per worker count: wall time, trials, the share of worker time spent inside training
(the trainer's own device-seconds over workers x wall), and the speed-up of 2 workers over 1.
Goals (issue 5): >= 90% of worker time inside training; 2 workers >= 1.8x faster than 1.

    .venv/bin/python benchmarks/search_scheduling.py [--trials 8] [--epochs 6]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

os.environ.setdefault("RAY_AUTH_MODE", "disabled")


def run(workers: int, trials: int, epochs: int, root: Path) -> dict:
    import ray

    from nasx.config import load_config
    from nasx.runs import RunDir
    from nasx.search import run_search

    cfg = load_config(None, {
        "space": "nb201", "strategy": "random", "data": "digits", "budget": f"{trials}trials", "epochs": epochs,
        "cpus_per_trial": 1, "max_concurrent": workers, "dashboard": False, "seed": 0,
        "network": {"channels": 8, "cells_per_stage": 2},
        "task": {"latency": False, "batch_size": 64}, "ray_num_cpus": 2,
    })
    run_dir = root / f"w{workers}"
    run = RunDir.create(run_dir, cfg.to_dict())
    t0 = time.time()
    run_search(cfg, run)
    wall = time.time() - t0
    ray.shutdown()
    recs = [json.loads(line) for line in (run_dir / "journal.jsonl").read_text().splitlines()]
    recs = [r for r in recs if r.get("event") == "trial"]
    first = min(r["started_at"] for r in recs)
    last = max(r["finished_at"] for r in recs)
    span = last - first
    train = sum(r["metrics"].get("device_seconds") or 0 for r in recs)
    trial_wall = sum(r["wall_seconds"] for r in recs)
    return {"workers": workers, "trials": len(recs), "wall_s": wall, "span_s": span,
            "mean_trial_s": trial_wall / len(recs), "train_share": train / (workers * span),
            "trial_share": trial_wall / (workers * span)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=8)
    ap.add_argument("--epochs", type=int, default=6)
    args = ap.parse_args()
    root = Path(tempfile.mkdtemp(prefix="nasx-sched-"))
    try:
        rows = [run(w, args.trials, args.epochs, root) for w in (1, 2)]
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print("| workers | trials | mean trial s | first start -> last end s | worker time in training | "
          "worker time in trials | speed-up |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        speed = rows[0]["span_s"] / r["span_s"]
        print(f"| {r['workers']} | {r['trials']} | {r['mean_trial_s']:.1f} | {r['span_s']:.1f} | "
              f"{100 * r['train_share']:.1f}% | {100 * r['trial_share']:.1f}% | {speed:.2f}x |")


if __name__ == "__main__":
    main()
