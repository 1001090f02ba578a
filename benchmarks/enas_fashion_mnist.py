"""ENAS on Fashion-MNIST (CPU): does the controller learn, and does its child beat random cells?

Runs an ENAS search (supernet + LSTM controller) on a subsample of Fashion-MNIST, prints the
controller's mean reward and entropy per epoch, derives and retrains the best child from scratch,
and trains 10 random cells of the same space under the same protocol. The claim checked: the
derived child beats the random cells' median at a search cost below training those 10 cells.
With `--derive-top-k K` it also re-ranks (as `derive_top_k` does in a search): ranks
--derive-samples children by shared-weight accuracy on the whole validation split (or on a fixed
seeded subset of --derive-rank-images of its images), trains the top K from scratch for
--derive-epochs, retrains the best of them by validation accuracy under the full protocol and
reports it beside the plain derive, with the re-rank's cost and Kendall tau. Costs are reported as
this process's CPU seconds (one torch thread: robust to the machine's load) and wall seconds:
the supernet epochs ("search"), the plain derive, the re-rank (ranking + proxy trainings), each
retrain and each random cell.

The 5-seed micro-space runs of benchmarks/README.md (seeds 0-4; vary --seed):

    OMP_NUM_THREADS=1 nice -n 10 .venv/bin/python benchmarks/enas_fashion_mnist.py --space enas_micro --seed 0 \
        --threads 1 --channels 4 --cells-per-stage 1 --max-train 2000 --val-fraction 0.05 --test-images 2000 \
        --epochs 3 --enas-epochs 5 --controller-steps 10 --opt controller_batch=3 --derive-samples 40 \
        --derive-rank-images 500 --derive-top-k 4 --derive-epochs 2 --random 10 \
        --json benchmarks/results/enas_micro_rerank_seed0.json

The earlier 2-seed micro-space runs (whole-split ranking, 6 random cells):

    .venv/bin/python benchmarks/enas_fashion_mnist.py --space enas_micro --seed 0 --threads 1 --channels 4 \
        --cells-per-stage 1 --max-train 2000 --val-fraction 0.05 --test-images 2000 --epochs 3 \
        --enas-epochs 6 --controller-steps 10 --opt controller_batch=3 --derive-samples 40 \
        --derive-top-k 4 --derive-epochs 1 --random 6 --json micro0.json

The protocol reported in benchmarks/README.md (~29 min on one CPU core; vary --seed):

    .venv/bin/python benchmarks/enas_fashion_mnist.py --seed 0 --threads 1 --channels 8 \
        --cells-per-stage 2 --max-train 5000 --val-fraction 0.05 --test-images 5000 --epochs 6 \
        --enas-epochs 20 --controller-steps 30 --derive-samples 100 --opt warmup_epochs=3 \
        --json enas.json --plot enas.png
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import time
from dataclasses import replace
from pathlib import Path

import scipy.stats
import torch
import yaml

from nasx.data import load_dataset
from nasx.enas.options import EnasOptions
from nasx.enas.plots import enas_plot
from nasx.enas.rerank import kendall_tau
from nasx.enas.trainer import EnasSearch
from nasx.errors import ConfigError
from nasx.evaluate import Task, train_and_evaluate
from nasx.spaces import RandomChooser, get_space


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--space", default="nb201")
    ap.add_argument("--channels", type=int, default=4)
    ap.add_argument("--cells-per-stage", type=int, default=1, help="cells / nb201 spaces only")
    ap.add_argument("--max-train", type=int, default=2000)
    ap.add_argument("--val-fraction", type=float, default=0.02)
    ap.add_argument("--test-images", type=int, default=2000)
    ap.add_argument("--epochs", type=int, default=3, help="retrain epochs (the derived child and each random cell)")
    ap.add_argument("--enas-epochs", type=int, default=8)
    ap.add_argument("--controller-steps", type=int, default=20)
    ap.add_argument("--derive-samples", type=int, default=50)
    ap.add_argument("--random", type=int, default=10)
    ap.add_argument("--derive-top-k", type=int, default=0, help="also re-rank: train the top K for --derive-epochs")
    ap.add_argument("--derive-epochs", type=int, default=1)
    ap.add_argument("--derive-rank-images", type=int, default=0,
                    help="re-rank on a fixed seeded subset of this many val images (0: the whole val split)")
    ap.add_argument("--opt", action="append", default=[], metavar="KEY=VALUE",
                    help="any other ENAS option, e.g. --opt controller_lr=0.0035 (repeatable)")
    ap.add_argument("--randoms-from", default=None, metavar="JSON",
                    help="reuse the random cells of an earlier --json run with the same data/protocol flags")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", default=None, help="also write the results here")
    ap.add_argument("--plot", default=None, help="also draw reward and entropy per epoch here (.png)")
    args = ap.parse_args()
    for flag in ("channels", "max_train", "test_images", "epochs", "derive_samples", "derive_epochs", "threads"):
        if getattr(args, flag) < 1:
            ap.error(f"--{flag.replace('_', '-')} must be >= 1")
    for flag in ("random", "derive_top_k", "derive_rank_images", "enas_epochs", "controller_steps"):
        if getattr(args, flag) < 0:
            ap.error(f"--{flag.replace('_', '-')} must be >= 0")
    torch.set_num_threads(args.threads)
    t_all = time.time()
    # what the random cells' results depend on: --randoms-from is refused unless these match
    protocol = {k: getattr(args, k) for k in ("space", "channels", "cells_per_stage", "max_train", "val_fraction",
                                              "test_images", "epochs", "seed")}

    net = {"channels": args.channels}
    if get_space(args.space).kind in ("nb201", "cells"):
        net["cells_per_stage"] = args.cells_per_stage
    space = get_space(args.space).with_network(**net)
    ds = load_dataset("fashion-mnist", val_fraction=args.val_fraction, max_train=args.max_train, seed=args.seed)
    g = torch.Generator().manual_seed(1234)
    keep = torch.randperm(len(ds.y_test), generator=g)[: args.test_images]
    ds.x_test, ds.y_test = ds.x_test[keep], ds.y_test[keep]
    task = Task(data="fashion-mnist", epochs=args.epochs, batch_size=128, latency=False, seed=args.seed,
                max_train=args.max_train, val_fraction=args.val_fraction, device="cpu")
    extra = {}
    for item in args.opt:
        key, sep, value = item.partition("=")
        if not sep:
            ap.error(f"--opt {item!r}: expected KEY=VALUE")
        extra[key] = yaml.safe_load(value)
    try:
        opts = EnasOptions.from_dict({"enas_epochs": args.enas_epochs, "controller_steps": args.controller_steps,
                                      "derive_samples": args.derive_samples, "derive_top_k": args.derive_top_k,
                                      "derive_epochs": args.derive_epochs,
                                      "derive_rank_images": args.derive_rank_images, **extra}, space.kind)
    except ConfigError as exc:
        ap.error(str(exc))
    reused = None
    if args.randoms_from:
        try:
            with open(args.randoms_from) as f:
                reused = json.load(f)
        except (OSError, ValueError) as exc:
            ap.error(f"--randoms-from {args.randoms_from}: cannot read it ({exc})")
        if reused.get("protocol") != protocol:
            ap.error(f"--randoms-from {args.randoms_from}: its random cells were trained under "
                     f"{reused.get('protocol')}, this run's protocol is {protocol}; rerun without --randoms-from")
    print(f"space {args.space} {net}, data {ds.summary()}, retrain {args.epochs} epochs", flush=True)
    print(f"ENAS options {opts.to_dict()}", flush=True)

    # ---- ENAS search (costs: wall seconds and this process's CPU seconds, one torch thread)
    t0, c0 = time.time(), time.process_time()
    search = EnasSearch(space, ds, task, opts)
    print("epoch  reward  entropy  baseline  train_loss  seconds")
    for _ in range(opts.enas_epochs):
        r = search.train_epoch()
        print(f"{r['epoch']:5d}  {r['reward']:.4f}  {r['entropy']:7.3f}  {r['baseline']:.4f}    "
              f"{r['train_loss']:.4f}  {r['seconds']:7.1f}", flush=True)
    search_s, search_cpu = time.time() - t0, time.process_time() - c0  # the supernet epochs
    derived = search.derive(opts.derive_samples)  # the plain derive (one-batch filter, top 5 on the whole split)
    derive_s, derive_cpu = time.time() - t0 - search_s, time.process_time() - c0 - search_cpu
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    best = derived[0]["genotype"]
    print(f"search {search_s:.0f} s ({search_cpu:.0f} CPU-s), plain derive {derive_s:.0f} s ({derive_cpu:.0f} CPU-s), peak RSS {peak_rss:.2f} GiB; derived {space.to_string(best)} "
          f"(shared-weight val acc {derived[0]['shared_val_acc']:.4f})", flush=True)

    def train(genotype, epochs=None):
        torch.manual_seed(args.seed)
        model = space.build(genotype, num_classes=ds.num_classes, input_size=ds.input_shape)
        t, c = time.time(), time.process_time()
        res = train_and_evaluate(model, ds, replace(task, epochs=epochs or task.epochs))
        return res, time.time() - t, time.process_time() - c

    res, retrain_s, retrain_cpu = train(best)
    enas = {"val_acc": res.metrics["val_acc"], "test_acc": res.metrics["test_acc"], "seconds": retrain_s,
            "cpu_seconds": retrain_cpu, "arch": space.to_string(best)}
    print(f"derived child retrained: val {enas['val_acc']:.4f} test {enas['test_acc']:.4f} ({retrain_s:.0f} s, "
          f"{retrain_cpu:.0f} CPU-s)", flush=True)
    rerank = None
    if args.derive_top_k:
        t, c = time.time(), time.process_time()
        ranked = search.rank_on_val(args.derive_samples, opts.derive_rank_images)
        rank_s, rank_cpu = time.time() - t, time.process_time() - c
        n_ranked, ranked = len(ranked), ranked[: args.derive_top_k]
        keep = search.rank_subset(opts.derive_rank_images)
        rank_images = len(ds.y_val) if keep is None else len(keep)
        print(f"ranked {n_ranked} distinct children of {args.derive_samples} samples on {rank_images} val images "
              f"({rank_s:.0f} s, {rank_cpu:.0f} CPU-s)", flush=True)
        for r in ranked:
            r_p, _, _ = train(r["genotype"], args.derive_epochs)
            r["proxy_val_acc"] = r_p.metrics["val_acc"] or 0.0
            print(f"re-rank: shared {r['shared_val_acc']:.4f} proxy {r['proxy_val_acc']:.4f} "
                  f"{space.to_string(r['genotype'])}", flush=True)
        rerank_s, rerank_cpu = time.time() - t, time.process_time() - c
        top = max(ranked, key=lambda r: r["proxy_val_acc"])
        if top["genotype"].hash == best.hash:  # same child, same seed: the retrain above is this one's
            r_f, f_s, f_cpu = res, retrain_s, retrain_cpu
        else:
            r_f, f_s, f_cpu = train(top["genotype"])
        rerank = {"val_acc": r_f.metrics["val_acc"], "test_acc": r_f.metrics["test_acc"], "seconds": f_s,
                  "cpu_seconds": f_cpu, "rerank_seconds": rerank_s, "rerank_cpu_seconds": rerank_cpu,
                  "rank_cpu_seconds": rank_cpu, "ranked_children": n_ranked, "rank_images": rank_images,
                  "same_as_plain": top["genotype"].hash == best.hash, "arch": space.to_string(top["genotype"]),
                  "kendall_tau": kendall_tau([r["shared_val_acc"] for r in ranked], [r["proxy_val_acc"] for r in ranked]),
                  "children": [{"arch": space.to_string(r["genotype"]), "shared_val_acc": r["shared_val_acc"],
                                "proxy_val_acc": r["proxy_val_acc"]} for r in ranked]}
        print(f"re-ranked child retrained: val {rerank['val_acc']:.4f} test {rerank['test_acc']:.4f} "
              f"(re-rank {rerank_s:.0f} s, {rerank_cpu:.0f} CPU-s; tau {rerank['kendall_tau']})", flush=True)

    rng = RandomChooser(args.seed + 99)
    randoms = []
    if reused is not None:
        randoms = [{k: v for k, v in r.items() if k != "shared_val_acc"} for r in reused["randoms"][: args.random]]
        print(f"{len(randoms)} random cells reused from {args.randoms_from} (same protocol: {protocol})")
        for _ in randoms:  # the same draws as the earlier run: cells after the reused ones are new ones
            space.sample(rng)
    for i in range(len(randoms), args.random):
        g_i = space.sample(rng)
        r_i, s_i, c_i = train(g_i)
        randoms.append({"arch": space.to_string(g_i), "val_acc": r_i.metrics["val_acc"] or 0.0,
                        "test_acc": r_i.metrics["test_acc"] or 0.0, "seconds": s_i, "cpu_seconds": c_i,
                        "status": r_i.status})
        print(f"random {i}: val {randoms[-1]['val_acc']:.4f} test {randoms[-1]['test_acc']:.4f} ({s_i:.0f} s, "
              f"{c_i:.0f} CPU-s)", flush=True)
    if len(randoms) < 2:
        print("fewer than 2 random cells: no comparison")
        return
    # how well the final shared weights rank the random cells (weight-sharing's core assumption)
    # (on the re-rank's images: the same subset the derived children were ranked on)
    for r in randoms:
        r["shared_val_acc"] = search.val_accuracy(space.from_string(r["arch"]), opts.derive_rank_images)
    tau = scipy.stats.kendalltau([r["shared_val_acc"] for r in randoms], [r["test_acc"] for r in randoms])
    med_val = statistics.median(r["val_acc"] for r in randoms)
    med_test = statistics.median(r["test_acc"] for r in randoms)
    random_s = sum(r["seconds"] for r in randoms)
    random_cpu = sum(r["cpu_seconds"] for r in randoms) if all("cpu_seconds" in r for r in randoms) else None

    h = search.history
    cpu = lambda v: "n/a" if v is None else f"{v:.0f}"
    print("\n| | val acc | test acc | cost: CPU-s (wall s) |")
    print("|---|---|---|---|")
    print(f"| ENAS derived child, retrained | {enas['val_acc']:.4f} | {enas['test_acc']:.4f} | "
          f"search {search_cpu:.0f} ({search_s:.0f}) + derive {derive_cpu:.0f} ({derive_s:.0f}) + retrain "
          f"{retrain_cpu:.0f} ({retrain_s:.0f}) |")
    if rerank:
        print(f"| ENAS re-ranked child (top {args.derive_top_k}, {args.derive_epochs} proxy epochs), retrained | "
              f"{rerank['val_acc']:.4f} | {rerank['test_acc']:.4f} | search {search_cpu:.0f} ({search_s:.0f}) + "
              f"re-rank {rerank['rerank_cpu_seconds']:.0f} ({rerank['rerank_seconds']:.0f}) + retrain "
              f"{rerank['cpu_seconds']:.0f} ({rerank['seconds']:.0f}) |")
    print(f"| median of {args.random} random cells | {med_val:.4f} | {med_test:.4f} | "
          f"{cpu(random_cpu)} ({random_s:.0f}) (all {args.random}) |")
    print(f"| best of {args.random} random cells | {max(r['val_acc'] for r in randoms):.4f} | "
          f"{max(r['test_acc'] for r in randoms):.4f} | |")
    print(f"\ncontroller: reward {h[0]['reward']:.4f} -> {h[-1]['reward']:.4f}, "
          f"entropy {h[0]['entropy']:.3f} -> {h[-1]['entropy']:.3f}; peak RSS {peak_rss:.2f} GiB; "
          f"wall {time.time() - t_all:.0f} s")
    print(f"shared-weight val acc vs retrained test acc of the random cells: Kendall tau {tau.statistic:.2f} "
          f"(p {tau.pvalue:.2f})")
    plain = search_cpu + derive_cpu
    print(f"checks: reward rises {h[-1]['reward'] > h[0]['reward']}, entropy falls {h[-1]['entropy'] < h[0]['entropy']}, "
          f"plain derive beats random median {enas['test_acc'] > med_test}, search + derive {plain:.0f} CPU-s "
          f"cheaper than {args.random} cells {None if random_cpu is None else plain < random_cpu}")
    if rerank:
        total = search_cpu + rerank["rerank_cpu_seconds"]
        print(f"checks (re-rank): beats random median {rerank['test_acc'] > med_test}, search + re-rank "
              f"{total:.0f} CPU-s cheaper than {args.random} cells {None if random_cpu is None else total < random_cpu}")
    if args.plot:
        enas_plot(h, Path(args.plot), title=f"ENAS on Fashion-MNIST ({args.space})", warmup=opts.warmup_epochs)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"history": h, "derived": [{**d, "genotype": d["genotype"].to_dict()} for d in derived],
                       "enas": enas, "rerank": rerank, "search_seconds": search_s, "search_cpu_seconds": search_cpu,
                       "derive_seconds": derive_s, "derive_cpu_seconds": derive_cpu,
                       "randoms": randoms, "random_seconds": random_s, "random_cpu_seconds": random_cpu,
                       "random_median_test_acc": med_test, "random_best_test_acc": max(r["test_acc"] for r in randoms),
                       "kendall_tau": tau.statistic, "peak_rss_gib": peak_rss, "protocol": protocol,
                       "args": vars(args), "enas_options": opts.to_dict(), "wall_seconds": time.time() - t_all},
                      f, indent=1)


if __name__ == "__main__":
    main()
