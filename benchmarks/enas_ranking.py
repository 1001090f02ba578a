"""Does the ENAS supernet rank cells like training them does? (Kendall tau vs supernet epochs)

Weight sharing rests on one assumption: a child's accuracy under the shared weights orders the
children as training each from scratch would. This trains a space's supernet with near-uniform
paths (the untrained controller, never updated: `controller_steps=0`) and, at the given epochs,
scores every cell with a known retrained accuracy (the `randoms` of `enas_fashion_mnist.py --json`
runs, same data protocol) on the whole validation split, printing Kendall's tau and Spearman's rho.

    .venv/bin/python benchmarks/enas_ranking.py --space nb201 --channels 8 --cells-per-stage 2 \
        --truth d.json d1.json d2.json --checkpoints 10,20,40
"""

from __future__ import annotations

import argparse
import json
import time

import matplotlib
import scipy.stats
import torch

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from nasx.data import load_dataset
from nasx.enas.options import EnasOptions
from nasx.enas.trainer import EnasSearch
from nasx.evaluate import Task
from nasx.spaces import get_space


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--space", default="nb201")
    ap.add_argument("--channels", type=int, default=8)
    ap.add_argument("--cells-per-stage", type=int, default=2, help="cells / nb201 spaces only")
    ap.add_argument("--max-train", type=int, default=5000)
    ap.add_argument("--val-fraction", type=float, default=0.05)
    ap.add_argument("--truth", nargs="+", required=True, metavar="JSON",
                    help="enas_fashion_mnist.py --json outputs: their random cells' retrained test accuracy")
    ap.add_argument("--checkpoints", default="10,20,40", help="supernet epochs at which to rank")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--batch-size", type=int, default=128, help="supernet training batch (smaller: more steps per epoch)")
    ap.add_argument("--rank-images", type=int, default=0,
                    help="score each cell on a fixed seeded subset of this many validation images (0: the whole split)")
    ap.add_argument("--json", default=None, help="write the table's rows and every cell's scores here")
    ap.add_argument("--plot", default=None, help="also draw shared-weight vs retrained accuracy per checkpoint (.png)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    checkpoints = sorted({int(c) for c in args.checkpoints.split(",")})

    net = {"channels": args.channels}
    if get_space(args.space).kind in ("nb201", "cells"):
        net["cells_per_stage"] = args.cells_per_stage
    space = get_space(args.space).with_network(**net)
    truth: dict[str, float] = {}
    for path in args.truth:
        with open(path) as f:
            for r in json.load(f)["randoms"]:
                truth.setdefault(r["arch"], r["test_acc"])
    cells = [(space.from_string(a), acc) for a, acc in truth.items()]
    ds = load_dataset("fashion-mnist", val_fraction=args.val_fraction, max_train=args.max_train, seed=args.seed)
    task = Task(data="fashion-mnist", epochs=1, batch_size=args.batch_size, latency=False, seed=args.seed,
                max_train=args.max_train, val_fraction=args.val_fraction, device="cpu")
    # the generic controller, never updated, samples near-uniformly (the reference's micro controller
    # would start biased toward separable convs)
    opts = EnasOptions.from_dict({"enas_epochs": checkpoints[-1], "controller_steps": 0, "reference_controller": False})
    search = EnasSearch(space, ds, task, opts)
    print(f"space {args.space} {net}; {len(cells)} cells with retrained accuracy; supernet epochs {checkpoints}, "
          f"batch {args.batch_size} ({len(search.train_batches)} steps per epoch); ranked on "
          f"{len(search.dataset.y_val) if search.rank_subset(args.rank_images) is None else args.rank_images} val images")
    print("| supernet epoch | train loss | mean shared val acc | Kendall tau (p) | Spearman rho (p) | seconds |")
    print("|---:|---:|---:|---|---|---:|")
    t0 = time.time()
    panels, rows = [], []
    while search.epoch < checkpoints[-1]:
        row = search.train_epoch()
        if search.epoch in checkpoints:
            shared = [search.val_accuracy(g, args.rank_images) for g, _ in cells]
            true = [acc for _, acc in cells]
            tau = scipy.stats.kendalltau(shared, true)
            rho = scipy.stats.spearmanr(shared, true)
            print(f"| {search.epoch} | {row['train_loss']:.3f} | {sum(shared) / len(shared):.3f} | "
                  f"{tau.statistic:.2f} ({tau.pvalue:.2f}) | {rho.statistic:.2f} ({rho.pvalue:.2f}) | "
                  f"{time.time() - t0:.0f} |", flush=True)
            panels.append((search.epoch, shared, true, tau.statistic))
            rows.append({"epoch": search.epoch, "steps": search.epoch * len(search.train_batches),
                         "train_loss": row["train_loss"], "train_acc": row["train_acc"],
                         "mean_shared_val_acc": sum(shared) / len(shared), "kendall_tau": tau.statistic,
                         "kendall_p": tau.pvalue, "spearman": rho.statistic, "spearman_p": rho.pvalue,
                         "seconds": time.time() - t0, "shared": shared})
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"args": vars(args), "cells": [space.to_string(g) for g, _ in cells],
                       "retrained_test_acc": [acc for _, acc in cells], "checkpoints": rows}, f, indent=1)
    if args.plot:
        fig, axes = plt.subplots(1, len(panels), figsize=(3.6 * len(panels), 3.6), dpi=110, squeeze=False)
        for ax, (epoch, shared, true, tau) in zip(axes[0], panels):
            ax.scatter(shared, true, s=14, alpha=0.7)
            ax.set_title(f"supernet epoch {epoch}: Kendall tau {tau:.2f}", fontsize=9)
            ax.set_xlabel("shared-weight val acc")
            ax.grid(alpha=0.3)
        axes[0][0].set_ylabel("retrained test acc")
        fig.suptitle(f"Does the {args.space} supernet rank {len(cells)} cells as retraining does?", fontsize=10)
        fig.tight_layout()
        fig.savefig(args.plot)
        print(f"plot: {args.plot}")


if __name__ == "__main__":
    main()
