"""A real search with and without `--prescreen` on Fashion-MNIST (CPU, in-process, same budget).

    .venv/bin/python benchmarks/prescreen_fashion_mnist.py [--seeds 3] [--budget 4cpu-min]
        [--prescreen synflow:10] [--space nb201] [--strategy random] [--out runs/prescreen-fmnist]
        [--first-seed 0] [--epochs 1] [--max-train 3000]

For each seed it runs `nasx search` twice (without / with the pre-screen) and prints per run the
best validation accuracy reached, the trials bought, the proxy seconds, and the device-seconds
(trial time + proxy time, as the budget counts them) at which the run first reached the no-proxy
run's best of the same seed.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
NASX = str(Path(sys.executable).with_name("nasx"))


def config(a, seed: int, prescreen: str | None) -> dict:
    cfg = {"space": a.space, "strategy": a.strategy, "data": "fashion-mnist", "budget": a.budget,
           "epochs": a.epochs, "executor": "inprocess", "dashboard": False, "seed": seed, "keep_weights": False,
           "network": ({"channels": 8, "cells_per_stage": 1} if a.space == "nb201" else {"channels": 8}),
           "task": {"batch_size": 128, "lr": 0.05, "max_train": a.max_train, "latency": False}}
    if prescreen:
        cfg["prescreen"] = prescreen
    return cfg


def curve(run: Path) -> list[tuple[float, float]]:
    """(device-seconds spent so far, best val_acc so far) after each trial, in journal order."""
    out, spent, best = [], 0.0, float("-inf")
    for line in (run / "journal.jsonl").read_text().splitlines():
        r = json.loads(line)
        if r.get("event") != "trial":
            continue
        spent += r["device_seconds"] + float(r["meta"].get("proxy_seconds") or 0.0)
        if r["status"] == "ok" and r["metrics"].get("val_acc") is not None:
            best = max(best, r["metrics"]["val_acc"])
        out.append((spent, best))
    return out


def reach(c, target):
    return next((s for s, b in c if b >= target), None)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--budget", default="4cpu-min")
    ap.add_argument("--prescreen", default="synflow:10")
    ap.add_argument("--space", default="nb201")
    ap.add_argument("--strategy", default="random")
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--max-train", type=int, default=3000)
    ap.add_argument("--out", default="runs/prescreen-fmnist")
    ap.add_argument("--first-seed", type=int, default=0, help="seeds first-seed .. first-seed+seeds-1")
    a = ap.parse_args()
    out = Path(a.out)
    rows = []
    cpu = {}  # run name -> process CPU seconds of its `nasx search` (robust to other jobs' load)
    for seed in range(a.first_seed, a.first_seed + a.seeds):
        curves = {}
        for tag, pre in (("plain", None), ("prescreen", a.prescreen)):
            run = out / f"{a.space}-{a.strategy}-{tag}-s{seed}"
            if not (run / "run.json").is_file():
                run.parent.mkdir(parents=True, exist_ok=True)
                cfg_file = out / f"{run.name}.yaml"
                cfg_file.write_text(yaml.safe_dump(config(a, seed, pre)))
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                subprocess.run([NASX, "search", "--config", str(cfg_file), "--run-dir", str(run)], check=True,
                               stdout=subprocess.DEVNULL)
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                cpu[run.name] = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
            curves[tag] = curve(run)
        target = curves["plain"][-1][1]
        for tag, c in curves.items():
            proxy_s = sum(float(json.loads(ln)["meta"].get("proxy_seconds") or 0)
                          for ln in (out / f"{a.space}-{a.strategy}-{tag}-s{seed}" / "journal.jsonl").read_text()
                          .splitlines() if json.loads(ln).get("event") == "trial")
            rows.append({"seed": seed, "run": tag, "trials": len(c), "best_val": c[-1][1], "spent_s": c[-1][0],
                         "proxy_s": proxy_s, "s_to_plain_best": reach(c, target),
                         "cpu_s": cpu.get(f"{a.space}-{a.strategy}-{tag}-s{seed}")})
    print("| seed | run | trials | best val acc | device-s spent | proxy s | device-s to the plain run's best "
          "| process CPU-s (whole run) |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        to = "-" if r["s_to_plain_best"] is None else f"{r['s_to_plain_best']:.0f}"
        cpu_s = "-" if r["cpu_s"] is None else f"{r['cpu_s']:.0f}"
        print(f"| {r['seed']} | {r['run']} | {r['trials']} | {100 * r['best_val']:.2f} | {r['spent_s']:.0f} | "
              f"{r['proxy_s']:.1f} | {to} | {cpu_s} |")
    (out / f"summary-s{a.first_seed}-{a.first_seed + a.seeds - 1}.json").write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
