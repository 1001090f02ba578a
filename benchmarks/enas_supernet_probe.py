"""How fast does a supernet learn under changing paths? (uniform random path per batch vs one path)

Trains a space's ENAS supernet on Fashion-MNIST for a few epochs with a fresh uniformly random
architecture per batch (`random`), with the same plus a BatchNorm + ReLU before the classifier
(`random+bn`), or on one fixed architecture (`fixed`), and prints training loss and accuracy per
epoch. It separates "weight sharing over this many ops is slow to train" from controller effects.

    .venv/bin/python benchmarks/enas_supernet_probe.py --space cells --channels 4 --epochs 2
"""

from __future__ import annotations

import argparse
import time

import torch
import torch.nn.functional as F
from torch import nn

from nasx.data import load_dataset
from nasx.enas import build_supernet
from nasx.spaces import RandomChooser, get_space


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--space", default="cells")
    ap.add_argument("--channels", type=int, default=4)
    ap.add_argument("--cells-per-stage", type=int, default=1)
    ap.add_argument("--max-train", type=int, default=5000)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--lr", type=float, default=0.05)
    ap.add_argument("--variants", default="random,random+bn,fixed")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    space = get_space(args.space).with_network(channels=args.channels, cells_per_stage=args.cells_per_stage)
    ds = load_dataset("fashion-mnist", val_fraction=0.05, max_train=args.max_train, seed=0)
    print("| variant | epoch | train loss | train acc | seconds |\n|---|---:|---:|---:|---:|")
    for variant in args.variants.split(","):
        torch.manual_seed(0)
        net = build_supernet(space, ds.num_classes, ds.input_shape)
        if variant.endswith("+bn"):
            c = net.classifier.in_features
            net.pool = nn.Sequential(nn.BatchNorm2d(c), nn.ReLU(), nn.AdaptiveAvgPool2d(1))
        opt = torch.optim.SGD(net.parameters(), lr=args.lr, momentum=0.9, nesterov=True, weight_decay=3e-4)
        rng = RandomChooser(0)
        fixed = space.sample(RandomChooser(5))
        for epoch in range(args.epochs):
            t, loss_sum, correct, seen = time.time(), 0.0, 0, 0
            for xb, yb in ds.batches("train", 128, train=True, seed=epoch, device="cpu"):
                genotype = fixed if variant == "fixed" else space.sample(rng)
                out = net(xb, genotype)
                loss = F.cross_entropy(out, yb, label_smoothing=0.1)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                nn.utils.clip_grad_norm_(net.parameters(), 5.0)
                opt.step()
                loss_sum += float(loss.detach()) * len(yb)
                correct += int((out.argmax(1) == yb).sum())
                seen += len(yb)
            print(f"| {variant} | {epoch + 1} | {loss_sum / seen:.3f} | {correct / seen:.3f} | {time.time() - t:.0f} |",
                  flush=True)


if __name__ == "__main__":
    main()
