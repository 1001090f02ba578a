"""How reproducible is a cell's retrained accuracy? (the ground truth that ENAS rankings are judged by)

Retrains the random cells of an `enas_fashion_mnist.py --json` run with the same data split and
protocol but another training seed (initialisation, batch order, augmentation), and prints both
test accuracies per cell with Kendall's tau between the two runs. A tau near 1 means the retrained
accuracies order the cells reliably, so a shared-weight ranking near 0 is the supernet's doing.

    .venv/bin/python benchmarks/retrain_noise.py --json d.json --data-seed 0 --train-seed 1 \
        --channels 8 --cells-per-stage 2 --cells 0-4
"""

from __future__ import annotations

import argparse
import json
import time

import scipy.stats
import torch

from nasx.data import load_dataset
from nasx.evaluate import Task, train_and_evaluate
from nasx.spaces import get_space


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", required=True, help="an enas_fashion_mnist.py --json output")
    ap.add_argument("--space", default="nb201")
    ap.add_argument("--channels", type=int, default=8)
    ap.add_argument("--cells-per-stage", type=int, default=2, help="cells / nb201 spaces only")
    ap.add_argument("--max-train", type=int, default=5000)
    ap.add_argument("--val-fraction", type=float, default=0.05)
    ap.add_argument("--test-images", type=int, default=5000)
    ap.add_argument("--epochs", type=int, default=6)
    ap.add_argument("--data-seed", type=int, default=0, help="the --seed of the run that wrote --json")
    ap.add_argument("--train-seed", type=int, default=1)
    ap.add_argument("--cells", default=None, help="a range of the JSON's random cells, e.g. 0-4 (default: all)")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)

    net = {"channels": args.channels}
    if get_space(args.space).kind in ("nb201", "cells"):
        net["cells_per_stage"] = args.cells_per_stage
    space = get_space(args.space).with_network(**net)
    ds = load_dataset("fashion-mnist", val_fraction=args.val_fraction, max_train=args.max_train, seed=args.data_seed)
    keep = torch.randperm(len(ds.y_test), generator=torch.Generator().manual_seed(1234))[: args.test_images]
    ds.x_test, ds.y_test = ds.x_test[keep], ds.y_test[keep]  # the same test subset as enas_fashion_mnist.py
    task = Task(data="fashion-mnist", epochs=args.epochs, batch_size=128, latency=False, seed=args.train_seed,
                max_train=args.max_train, val_fraction=args.val_fraction, device="cpu")
    with open(args.json) as f:
        randoms = json.load(f)["randoms"]
    if args.cells:
        lo, _, hi = args.cells.partition("-")
        randoms = randoms[int(lo): int(hi or lo) + 1]
    print(f"| cell | test acc (original seed) | test acc (train seed {args.train_seed}) | seconds |")
    print("|---|---:|---:|---:|")
    first, second = [], []
    for r in randoms:
        torch.manual_seed(args.train_seed)
        model = space.build(space.from_string(r["arch"]), num_classes=ds.num_classes, input_size=ds.input_shape)
        t = time.time()
        res = train_and_evaluate(model, ds, task)
        first.append(r["test_acc"])
        second.append(res.metrics["test_acc"])
        print(f"| `{r['arch']}` | {first[-1]:.4f} | {second[-1]:.4f} | {time.time() - t:.0f} |", flush=True)
    if len(first) > 1:
        tau = scipy.stats.kendalltau(first, second)
        print(f"\nKendall tau between the two trainings: {tau.statistic:.2f} (p {tau.pvalue:.2f}); "
              f"mean |difference| {sum(abs(a - b) for a, b in zip(first, second)) / len(first):.4f}")


if __name__ == "__main__":
    main()
