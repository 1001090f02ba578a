"""Each zero-cost proxy's Spearman rank correlation with the NAS-Bench-201 table, and its cost.

    .venv/bin/python benchmarks/proxy_correlation.py [--cells 200] [--data fashion-mnist] [--seed 0]

Scores `--cells` random cells of the bundled CIFAR-10 table with every registered proxy on nasx's
own NB201 network (16 channels) at initialisation, bypassing the cache (so the time is real), and
prints per proxy the Spearman with test_acc_200ep and val_acc_12ep and the mean ms per cell on
one thread. The data proxies need a minibatch of real images: CIFAR-10 cannot be downloaded on the
development machine, so they read `--data` instead (the network is then built for its image shape
and classes), which is a handicap for them, not a like-for-like replication of the papers.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a source checkout

from nasx.bench import ranked_last
from nasx.evaluate.tabular import load_table
from nasx.proxies import ProxyCache, ProxyScorer, get_proxy, proxy_names
from nasx.spaces import get_space
from nasx.strategies.surrogates import spearman


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cells", type=int, default=200)
    ap.add_argument("--data", default="fashion-mnist")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    torch.set_num_threads(1)
    t = load_table()
    idx = np.random.default_rng(a.seed).choice(len(t["arch"]), a.cells, replace=False)
    space = get_space("nb201")
    cells = [space.from_string(t["arch"][i]) for i in idx]
    print(f"{a.cells} random cells of the CIFAR-10 table (seed {a.seed}); data proxies on a {a.data} minibatch")
    print("| proxy | data | Spearman vs test_acc_200ep | Spearman vs val_acc_12ep | ms per cell |")
    print("|---|---|---:|---:|---:|")
    for name in proxy_names():
        needs = get_proxy(name).needs_data
        sc = ProxyScorer(space, name, data=a.data if needs else None, seed=a.seed, cache=ProxyCache())
        sc.compute(cells[0])  # loads the data once, outside the timing
        sc.seconds, sc.computed = 0.0, 0
        raw = np.array([sc.compute(g)[0] for g in cells])
        ok = np.isfinite(raw)
        scores = ranked_last(raw)  # -inf (no signal reaches the output) ties below every other cell
        rt = spearman(scores, t["test_acc_200ep"][idx])
        rv = spearman(scores, t["val_acc_12ep"][idx])
        fmt = lambda r: "-" if r is None else f"{r:.3f}"
        print(f"| {name} | {a.data + ' batch ' + str(sc.batch_size) if needs else 'none (3x32x32 ones)'} | "
              f"{fmt(rt)} | {fmt(rv)} | {1000 * sc.seconds / sc.computed:.0f}"
              + ("" if ok.all() else f" ({(~ok).sum()} cells -inf, ranked last)") + " |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
