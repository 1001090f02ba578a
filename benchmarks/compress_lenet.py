"""Deep Compression of LeNet-5 on Fashion-MNIST: per-layer table and totals for a few settings.

Trains LeNet-5 once (the engine's Task), then compresses a copy per setting (sparsity / bits /
global or layer-wise) and prints sparsity, bytes before (fp32 dense) and after (bytes written),
ratio, and test accuracy before/after. Han et al. report 39x for LeNet-5 on MNIST (conv+fc
weights, 8-bit conv / 5-bit fc codebooks); our "weights" ratio counts the same thing, "file"
also counts biases, LeNet's subsampling coefficients and the header.

    .venv/bin/python benchmarks/compress_lenet.py [--epochs 3] [--max-train 4000] [--finetune-epochs 1]
"""

from __future__ import annotations

import argparse
import copy
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from nasx.compress import CompressConfig, compress
from nasx.compress.source import train_zoo
from nasx.data import load_dataset

SETTINGS = (("global", 0.9, 5), ("layerwise", 0.9, 5), ("global", 0.95, 4))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default="fashion-mnist")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--max-train", type=int, default=4000)
    ap.add_argument("--steps", type=int, default=2)
    ap.add_argument("--finetune-epochs", type=int, default=1)
    ap.add_argument("--lr", type=float, default=0.02)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    t0 = time.perf_counter()
    ds = load_dataset(args.data, max_train=args.max_train)
    base = train_zoo("lenet5", ds, args.epochs, log=print).model
    print(f"data {ds.name}: {len(ds.y_train)} train / {len(ds.y_test)} test; trained in {time.perf_counter() - t0:.0f} s")
    rows = []
    for mode, sparsity, bits in SETTINGS:
        cfg = CompressConfig(sparsity=sparsity, bits=bits, mode=mode, steps=args.steps,
                             finetune_epochs=args.finetune_epochs, lr=args.lr)
        with tempfile.TemporaryDirectory() as out:
            r = compress(copy.deepcopy(base), ds, cfg, out)
        rows.append((f"{mode} s={sparsity} b={bits}", r))
        if len(rows) == 1:
            print(f"\nper layer, {rows[0][0]}:")
            print(f"{'layer':22} {'params':>7} {'kept':>6} {'sparsity':>8} {'before B':>9} {'after B':>8} {'ratio':>6}")
            for lr in r.layers:
                print(f"{lr.name:22} {lr.params:7d} {lr.kept:6d} {lr.sparsity:8.1%} {lr.size_before_bytes:9d} "
                      f"{lr.size_after_bytes:8d} {lr.size_before_bytes / max(1, lr.size_after_bytes):5.1f}x")
    print(f"\n{'setting':24} {'sparsity':>8} {'file B':>8} {'ratio':>6} {'weights B':>9} {'w ratio':>7} "
          f"{'acc before':>10} {'pruned':>7} {'after':>7} {'s':>5}")
    for name, r in rows:
        d = r.to_dict()
        print(f"{name:24} {r.sparsity:8.1%} {r.size_after_bytes:8d} {r.ratio:5.1f}x {r.weights_after_bytes:9d} "
              f"{d['weights_ratio']:6.1f}x {r.acc_before:10.2%} {r.acc_pruned:7.2%} {r.acc_after:7.2%} {r.seconds:5.0f}")
    print(f"(before: {rows[0][1].size_before_bytes} B fp32 dense whole model, "
          f"{rows[0][1].weights_before_bytes} B conv/linear weights)")
    print(f"wall time {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
