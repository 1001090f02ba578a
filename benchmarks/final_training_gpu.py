"""The DARTS CIFAR-10 final-training protocol end to end on a GPU: epoch time, img/s, accuracy.

    python benchmarks/final_training_gpu.py --genotype darts_v2 --cifar /data/cifar-10-batches-py --epochs 10
    python benchmarks/final_training_gpu.py --genotype runs/R/best/rank1.genotype.json --cifar DIR --epochs 600

--genotype is a genotype file or the name of a published cell of --space (`space.seed_genotype`);
the network is built with the recipe's settings (36 channels, 20 cells, auxiliary head) unless
--channels / --cells say otherwise, and trained with nasx's trainer under `--recipe` (default
darts: batch 96, SGD lr 0.025 cosine over --epochs, wd 3e-4, cutout 16, drop-path 0.2 linear
from 0, auxiliary 0.4, grad clip 5). --epochs shortens the run (the cosine and drop-path schedules
are stretched over the shortened run, as `nasx train --recipe darts --epochs N` does). Prints
one row per epoch and a summary (params without the auxiliary head, MACs, test accuracy,
device-seconds). Needs CUDA; refuses to run without it unless --device cpu is given.
"""

from __future__ import annotations

import argparse
import sys
import time


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--genotype", required=True, help="genotype JSON file, or a published cell name of --space")
    ap.add_argument("--space", default="cells")
    ap.add_argument("--cifar", required=True, help="CIFAR-10 python batches folder (cifar-10-batches-py)")
    ap.add_argument("--recipe", default="darts", choices=["darts", "imagenet_mobile"])
    ap.add_argument("--epochs", type=int, default=None, help="default: the recipe's (600)")
    ap.add_argument("--channels", type=int, default=None)
    ap.add_argument("--cells", type=int, default=None)
    ap.add_argument("--batch-size", type=int, default=None)
    ap.add_argument("--device", default="cuda", choices=["cuda", "cpu"])
    ap.add_argument("--no-amp", action="store_true", help="train in float32 as DARTS did (default: bf16 autocast)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)

    import torch

    from nasx.data import load_dataset
    from nasx.errors import NasxError
    from nasx.evaluate import Task, get_recipe, train_and_evaluate
    from nasx.spaces import get_space, read_genotype

    if args.device == "cuda" and not torch.cuda.is_available():
        print("no CUDA GPU here: this benchmark is for a GPU machine (or pass --device cpu)", file=sys.stderr)
        return 2
    try:
        recipe = get_recipe(args.recipe)
        space = get_space(args.space)
        g = read_genotype(args.genotype, space)
        space = get_space(g.space)
        network = {**recipe.network, **{k: v for k, v in (("channels", args.channels), ("cells", args.cells))
                                         if v is not None}}
        space = space.with_network(**network)
        fields = {**recipe.task, **({"epochs": args.epochs} if args.epochs else {}),
                  **({"batch_size": args.batch_size} if args.batch_size else {})}
        task = Task(data=f"cifar10:{args.cifar}", seed=args.seed, device=args.device, amp=not args.no_amp,
                    latency=False, **fields)
        dataset = load_dataset(task.data, val_fraction=task.val_fraction)
        torch.manual_seed(task.seed)
        net = space.build(g, num_classes=dataset.num_classes, input_size=tuple(dataset.input_shape))
    except NasxError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    gpu = torch.cuda.get_device_name() if args.device == "cuda" else "cpu"
    print(f"{g.space} {g.hash[:8]} network {network} recipe {recipe.name} epochs {task.epochs} "
          f"batch {task.batch_size} on {gpu}; train {len(dataset.y_train)} images")
    print("| epoch | s | img/s | train loss | val acc | lr | drop-path |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    last = {"t": time.perf_counter(), "state": None}
    steps = len(dataset.y_train) // task.batch_size

    def keep(state):
        last["state"] = state

    def row(epoch, m):
        now = time.perf_counter()
        dt, last["t"] = now - last["t"], now
        h = last["state"]["history"][-1] if last["state"] else {}
        print(f"| {epoch} | {dt:.1f} | {steps * task.batch_size / dt:,.0f} | {m['train_loss']:.4f} | "
              f"{100 * m['val_acc']:.2f}% | {h.get('lr', 0):.4g} | {h.get('drop_path_prob') or 0:.3f} |", flush=True)

    result = train_and_evaluate(net, dataset, task, row, checkpoint=keep)
    m = result.metrics
    print(f"\nstatus {result.status} {result.reason or ''}")
    print("| params (no aux) | MACs | test acc | val acc | device s | img/s (train, mean) | peak GiB |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    print(f"| {m['params']:,} | {m['macs'] or 0:,} | {100 * (m['test_acc'] or 0):.2f}% | {100 * (m['val_acc'] or 0):.2f}% "
          f"| {m['device_seconds']:.0f} | {m['img_per_s'] or 0:,.0f} | {m['peak_mem_bytes'] / 2**30:.2f} |")
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
