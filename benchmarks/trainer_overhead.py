"""Trainer overhead: nasx's `train_and_evaluate` vs a bare hand-written PyTorch loop.

Same model, same data (already on the device), same optimizer and batch size, same machine, in one
run; rounds alternate between the two so that drift in machine load hits both. nasx's img/s is its
own `img_per_s` metric (training steps only, validation excluded); the bare loop is timed the same
way; each side reports its best round (machine noise only ever slows a round down, so the best
round is the least disturbed one). On CPU a second ratio divides the process CPU-seconds each side
used (median over rounds), which a busy machine barely disturbs; both sides include building the
model and evaluating validation (every epoch) and test (at the end) on 128 images each, and nasx
also its MAC count, gradient clipping, LR schedule and divergence checks.
Goal: nasx >= 0.95x the bare loop; run with --threads 1 on a shared machine. On CUDA a third pair compares against a bf16 channels_last
bare loop with the data on the GPU and batched crop+flip augmentation.

    .venv/bin/python benchmarks/trainer_overhead.py [--epochs 1] [--n-train 2048] [--rounds 5] [--threads N]
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from nasx.data import Augment, Dataset, random_crop, random_flip
from nasx.evaluate import Task, train_and_evaluate


def model_fn(num_classes=10, in_channels=3):
    """A compact CNN (4 conv-BN-ReLU, ~100k params): small enough that per-step overhead shows."""
    def block(i, o, stride):
        return [nn.Conv2d(i, o, 3, stride, 1, bias=False), nn.BatchNorm2d(o), nn.ReLU(inplace=True)]
    return nn.Sequential(*block(in_channels, 32, 1), *block(32, 32, 1), *block(32, 64, 2), *block(64, 128, 2),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(128, num_classes))


def synthetic(n_train: int, augment: Augment, seed: int = 0) -> Dataset:
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n_train + 256, 3, 32, 32, generator=g)
    y = torch.randint(0, 10, (n_train + 256,), generator=g)
    return Dataset(x[:n_train], y[:n_train], x[n_train:n_train + 128], y[n_train:n_train + 128],
                   x[n_train + 128:], y[n_train + 128:], 10, (3, 32, 32), "synthetic", augment)


def bare_loop(ds: Dataset, task: Task, device: torch.device, amp_cl_aug: bool = False) -> float:
    """The loop one writes by hand: data on device, randperm, SGD-Nesterov, no checks. Returns img/s."""
    torch.manual_seed(task.seed)
    model = model_fn().to(device)
    x, y = ds.x_train.to(device), ds.y_train.to(device)
    if amp_cl_aug:
        model = model.to(memory_format=torch.channels_last)
    opt = torch.optim.SGD(model.parameters(), lr=task.lr, momentum=task.momentum, nesterov=True,
                          weight_decay=task.weight_decay)
    cast = torch.autocast("cuda", dtype=torch.bfloat16) if amp_cl_aug else contextlib.nullcontext()
    g = torch.Generator(device=device).manual_seed(task.seed)
    bs, steps = task.batch_size, len(x) // task.batch_size
    model.train()
    seconds = 0.0
    for _ in range(task.epochs):
        sync(device)
        t0 = time.perf_counter()
        perm = torch.randperm(len(x), device=device, generator=g)
        for i in range(steps):
            idx = perm[i * bs:(i + 1) * bs]
            xb, yb = x[idx], y[idx]
            if amp_cl_aug:
                xb = random_flip(random_crop(xb, 4, g), g).contiguous(memory_format=torch.channels_last)
            with cast:
                loss = F.cross_entropy(model(xb), yb, label_smoothing=task.label_smoothing)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        sync(device)
        seconds += time.perf_counter() - t0
        evaluate(model, ds.x_val, ds.y_val, device, cast)  # what a hand-written script does too
    evaluate(model, ds.x_test, ds.y_test, device, cast)
    return task.epochs * steps * bs / seconds


@torch.no_grad()
def evaluate(model, x, y, device, cast) -> float:
    model.eval()
    with cast:
        acc = float((model(x.to(device)).argmax(1) == y.to(device)).float().mean())
    model.train()
    return acc


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--n-train", type=int, default=2048)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--device", default="auto")
    ap.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (CPU)")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    task = Task(epochs=args.epochs, batch_size=args.batch_size, device=args.device, latency=False, amp=False,
                channels_last=False)
    device = task.resolved_device()
    plain = synthetic(args.n_train, Augment())
    pairs = [("fp32, no augmentation", plain, task, False)]
    if device.type == "cuda":
        aug_task = Task(**{**task.to_dict(), "amp": True, "channels_last": True})
        pairs.append(("bf16 channels_last, crop+flip", synthetic(args.n_train, Augment(4, True, "crop+flip")),
                      aug_task, True))
    train_and_evaluate(model_fn, plain, Task(**{**task.to_dict(), "epochs": 1}))  # warm-up (allocator, kernels)
    print(f"device: {device} ({torch.get_num_threads()} threads)" if device.type == "cpu"
          else f"device: {torch.cuda.get_device_name(device)}")
    print(f"model: compact CNN, {sum(p.numel() for p in model_fn().parameters()):,} params; "
          f"{args.n_train} images 3x32x32, batch {args.batch_size}, {args.epochs} epochs x {args.rounds} rounds\n")
    print("| setting | bare loop img/s | nasx img/s | nasx / bare (wall, best round) | nasx / bare (CPU time) "
          "| img/s range over rounds (bare / nasx) |\n|---|---:|---:|---:|---:|---|")
    for label, ds, t, amp in pairs:
        bare, ours, bare_cpu, ours_cpu = [], [], [], []
        for _ in range(args.rounds):
            c0 = time.process_time()
            bare.append(bare_loop(ds, t, device, amp))
            c1 = time.process_time()
            r = train_and_evaluate(model_fn, ds, t)
            c2 = time.process_time()
            assert r.ok, r.reason
            ours.append(r.metrics["img_per_s"])
            images = t.epochs * (len(ds.y_train) // t.batch_size) * t.batch_size
            bare_cpu.append(images / (c1 - c0))
            ours_cpu.append(images / (c2 - c1))
        b, o = max(bare), max(ours)
        cpu = "-"
        if device.type == "cpu":
            cpu = f"{statistics.median(ours_cpu) / statistics.median(bare_cpu):.3f}x"
        print(f"| {label} | {b:,.0f} | {o:,.0f} | {o / b:.3f}x | {cpu} | {min(bare):,.0f}-{b:,.0f} / "
              f"{min(ours):,.0f}-{o:,.0f} |")

if __name__ == "__main__":
    main()
