"""Full strategy benchmark on NAS-Bench-201: random, TPE, regularized evolution and PNAS, 150 queries each.

    .venv/bin/python benchmarks/nb201_strategies.py [--seeds 100] [--workers 0] [--plot runs/bench-nb201.png]
        [--prescreen synflow:10] [--table cifar10|cifar100|imagenet16-120|PATH]

Runs `nasx bench nb201` with the protocol of nasx/bench/protocol.py (pick = best 12-epoch validation accuracy
among the queried cells, judged by its 200-epoch test accuracy) and prints its table plus the wall time.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a source checkout

from nasx.cli import main


def run() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=100)
    ap.add_argument("--queries", type=int, default=150)
    ap.add_argument("--strategy", default="random,tpe,evolution,pnas")
    ap.add_argument("--workers", type=int, default=0)
    ap.add_argument("--plot", default="runs/bench-nb201.png")
    ap.add_argument("--prescreen", default=None)
    ap.add_argument("--table", default=None, help="a bundled table's name or a CSV(.gz) path")
    a = ap.parse_args()
    t0 = time.perf_counter()
    rc = main(["bench", "nb201", "--strategy", a.strategy, "--queries", str(a.queries), "--seeds", str(a.seeds),
               "--workers", str(a.workers), "--plot", a.plot, *(["--prescreen", a.prescreen] if a.prescreen else []),
               *(["--table", a.table] if a.table else [])])
    print(f"wall time: {time.perf_counter() - t0:.1f} s")
    return rc


if __name__ == "__main__":
    sys.exit(run())
