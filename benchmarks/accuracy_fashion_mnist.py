"""Accuracy and cost of the zoo's small-image LeNet-5, ResNet-20 and MobileNet v1 on Fashion-MNIST.

Every model is trained with the same nasx Task a search would use (SGD-Nesterov, cosine, label
smoothing 0.1, crop+flip augmentation, 10% of train held out for validation) and reported with
test accuracy and wall time. Needs `apt-get install dataset-fashion-mnist` (or --data idx:/dir).

    .venv/bin/python benchmarks/accuracy_fashion_mnist.py [--epochs 10] [--models lenet5,resnet20,mobilenet_v1]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from nasx.data import load_dataset
from nasx.evaluate import Task, TrainingEvaluator


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default="fashion-mnist")
    ap.add_argument("--models", default="lenet5,resnet20,mobilenet_v1")
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--lr", type=float, default=0.05)
    ap.add_argument("--max-train", type=int, default=None, help="subsample the 54k training images")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (CPU)")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    task = Task(data=args.data, epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, device=args.device,
                seed=args.seed, max_train=args.max_train)
    ds = load_dataset(args.data, val_fraction=task.val_fraction, max_train=args.max_train)
    device = task.resolved_device()
    where = torch.cuda.get_device_name(device) if device.type == "cuda" else f"cpu ({torch.get_num_threads()} threads)"
    print(f"{ds.name}: {len(ds.y_train)} train / {len(ds.y_val)} val / {len(ds.y_test)} test, "
          f"augment {ds.augment.policy}, {args.epochs} epochs, batch {args.batch_size}, lr {args.lr}, on {where}\n")
    print("| model | params | MACs | val acc | test acc | img/s | wall s | status |\n"
          "|---|---:|---:|---:|---:|---:|---:|---|")
    evaluator = TrainingEvaluator(ds)
    for name in [m.strip() for m in args.models.split(",") if m.strip()]:
        t0 = time.perf_counter()
        r = evaluator.evaluate(f"zoo:{name}", task,
                               lambda e, m: print(f"  {e:3d} val {100 * m['val_acc']:.2f}%", file=sys.stderr))
        m = r.metrics
        pct = (lambda v: "-" if v is None else f"{100 * v:.2f}%")
        num = (lambda v: "-" if v is None else f"{v:,.0f}")
        print(f"| {name} | {num(m['params'])} | {num(m['macs'])} | {pct(m['val_acc'])} | {pct(m['test_acc'])} | "
              f"{num(m['img_per_s'])} | {time.perf_counter() - t0:.0f} | {r.status}{': ' + r.reason if r.reason else ''} |",
              flush=True)


if __name__ == "__main__":
    main()
