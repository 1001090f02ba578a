"""Deployment latency on ONNX Runtime: how stable it is run to run, and how it ranks against eager.

    .venv/bin/python benchmarks/latency_stability.py [--n 50] [--seed 0] [--json PATH]

Samples `--n` distinct random architectures of the `cells` space at the demo's settings
(configs/demo.yaml: digits, 1x8x8 images, 10 classes, network channels 8) and measures each with
`nasx.latency.measure_latency` on ORT (batch 1, 1 thread, default warm-up / repeats) in two full
passes over the same list in the same order, then once with the older eager measurement
(`nasx.evaluate.probes.latency_ms`, 10 runs after 2 warm-ups, torch on 1 thread as a
`cpus_per_trial: 1` worker has it). The demo's baselines (resnet20, lenet5, mobilenet_v1 from the
zoo, same input) are measured the same way. Nothing is cached: every measurement is real.
Prints a table; writes every measurement and the summary as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a source checkout

from nasx.evaluate.probes import latency_ms
from nasx.latency import machine_tag, measure_latency
from nasx.measure import count_macs, count_params
from nasx.spaces import RandomChooser, get_space
from nasx.zoo import create_model

INPUT = (1, 8, 8)  # the demo's digits; --input 3x32x32 for CIFAR-sized images
CLASSES = 10
ZOO = ("resnet20", "lenet5", "mobilenet_v1")


def kendall_tau(a, b) -> float:
    """Kendall's tau-b: scipy's when installed, else the O(n^2) definition (ties in either counted)."""
    try:
        from scipy.stats import kendalltau

        return float(kendalltau(a, b).statistic)
    except ImportError:
        a, b = np.asarray(a, float), np.asarray(b, float)
        da, db = np.sign(a[:, None] - a[None, :]), np.sign(b[:, None] - b[None, :])
        iu = np.triu_indices(len(a), 1)
        s, ta, tb = (da * db)[iu].sum(), (da[iu] != 0).sum(), (db[iu] != 0).sum()
        return float(s / np.sqrt(ta * tb)) if ta and tb else float("nan")


def eager(model) -> tuple[float, float]:
    """(ms, seconds the measurement took) by the older method."""
    t0 = time.perf_counter()
    ms = latency_ms(model, INPUT, torch.device("cpu"), 1, 10)
    return ms, time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=50)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", default=str(Path(__file__).resolve().parent / "results" / "latency_stability.json"),
                    help="where the measurements go ('' for nowhere)")
    ap.add_argument("--channels", type=int, default=8, help="network channels (the demo's 8)")
    ap.add_argument("--input", default="1x8x8", help="CxHxW (the demo's 1x8x8)")
    a = ap.parse_args()
    global INPUT
    INPUT = tuple(int(v) for v in a.input.split("x"))
    torch.set_num_threads(1)
    torch.manual_seed(a.seed)  # the initial weights (they do not matter for latency, but reproducible)
    space = get_space("cells").with_network(channels=a.channels)
    chooser, genotypes, seen = RandomChooser(random.Random(a.seed)), [], set()
    while len(genotypes) < a.n:
        g = space.sample(chooser)
        if g.hash not in seen:
            seen.add(g.hash)
            genotypes.append(g)
    items = [(f"cells:{g.hash}", space.build(g, num_classes=CLASSES, input_size=INPUT)) for g in genotypes]
    items += [(f"zoo:{name}", create_model(name, num_classes=CLASSES, in_channels=INPUT[0], input_size=INPUT))
              for name in ZOO]
    measure_latency(items[0][1], INPUT)  # first export pays torch.onnx's imports: outside the numbers
    load_before, t_all = os.getloadavg(), time.perf_counter()
    passes = [[measure_latency(m, INPUT, runtime="ort", batch=1, threads=1) for _, m in items] for _ in range(2)]
    old = [eager(m) for _, m in items]
    wall, load_after = time.perf_counter() - t_all, os.getloadavg()

    n = len(genotypes)
    p1 = np.array([x.median_ms for x in passes[0]])
    p2 = np.array([x.median_ms for x in passes[1]])
    ev = np.array([ms for ms, _ in old])
    cvs = [x.cv for p in passes for x in p[:n]]
    cost = [x.seconds for p in passes for x in p[:n]]
    rel = np.abs(p1 - p2) / p1
    ratio = ev / p1
    summary = {
        "architectures": n,
        "kendall_tau_ort_pass1_vs_pass2": kendall_tau(p1[:n], p2[:n]),
        "kendall_tau_ort_p10_pass1_vs_pass2": kendall_tau([x.p10_ms for x in passes[0][:n]],
                                                          [x.p10_ms for x in passes[1][:n]]),
        "median_cv_within_measurement": float(np.median(cvs)),
        "median_rel_diff_pass1_pass2": float(np.median(rel[:n])),
        "max_rel_diff_pass1_pass2": float(np.max(rel[:n])),
        "ort_median_ms_p30": float(np.percentile(p1[:n], 30)),
        "ort_median_ms_min": float(p1[:n].min()), "ort_median_ms_max": float(p1[:n].max()),
        "eager_over_ort_median": float(np.median(ratio[:n])),
        "eager_over_ort_min": float(ratio[:n].min()), "eager_over_ort_max": float(ratio[:n].max()),
        "kendall_tau_eager_vs_ort": kendall_tau(ev[:n], p1[:n]),
        "ort_seconds_per_measurement_median": float(np.median(cost)),
        "eager_seconds_per_measurement_median": float(statistics.median(s for _, s in old[:n])),
        "ort_repeats_median": float(np.median([x.repeats for p in passes for x in p[:n]])),
        "wall_seconds": wall,
        "loadavg_1min_before_after": [load_before[0], load_after[0]],
    }
    f = lambda v, d=3: f"{v:.{d}f}"
    s = summary
    print(f"{n} random `cells` architectures (seed {a.seed}), channels {a.channels}, input {a.input}, 10 classes; "
          f"ORT batch 1, 1 thread, two passes; eager = probes.latency_ms (10 runs, 1 thread)")
    print(f"machine: {machine_tag('ort')}")
    print("| measure | value |")
    print("|---|---:|")
    print(f"| Kendall tau, ORT pass 1 vs pass 2 | {f(s['kendall_tau_ort_pass1_vs_pass2'])} |")
    print(f"| Kendall tau, ORT pass 1 vs pass 2, on p10 instead of the median | "
          f"{f(s['kendall_tau_ort_p10_pass1_vs_pass2'])} |")
    print(f"| median CV within a measurement | {f(s['median_cv_within_measurement'])} |")
    print(f"| median \\|pass1-pass2\\|/pass1 (max) | {f(s['median_rel_diff_pass1_pass2'])} "
          f"({f(s['max_rel_diff_pass1_pass2'])}) |")
    print(f"| ORT median ms: min / 30th percentile / max | {f(s['ort_median_ms_min'])} / "
          f"{f(s['ort_median_ms_p30'])} / {f(s['ort_median_ms_max'])} |")
    print(f"| eager / ORT ratio: median (min, max) | {f(s['eager_over_ort_median'], 2)} "
          f"({f(s['eager_over_ort_min'], 2)}, {f(s['eager_over_ort_max'], 2)}) |")
    print(f"| Kendall tau, eager vs ORT | {f(s['kendall_tau_eager_vs_ort'])} |")
    print(f"| seconds per measurement, median: ORT (eager) | {f(s['ort_seconds_per_measurement_median'])} "
          f"({f(s['eager_seconds_per_measurement_median'])}) |")
    print(f"| timed ORT runs per measurement, median | {s['ort_repeats_median']:.0f} |")
    print()
    print("| baseline | params | MACs | ORT ms pass 1 | ORT ms pass 2 | CV | eager ms | eager/ORT | ORT s |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    models = []
    for i, (key, model) in enumerate(items):
        rec = {"key": key, "params": count_params(model), "macs": count_macs(model, INPUT),
               "ort": [passes[0][i].__dict__, passes[1][i].__dict__], "eager_ms": ev[i], "eager_seconds": old[i][1]}
        models.append(rec)
        if i >= n:
            print(f"| {key[4:]} | {rec['params']:,} | {rec['macs']:,} | {f(p1[i])} | {f(p2[i])} | "
                  f"{f(passes[0][i].cv)} | {f(ev[i])} | {f(ratio[i], 2)} | {f(passes[0][i].seconds)} |")
    print(f"\nwall time of the measurements: {wall:.0f} s; 1-min load average before / after: "
          f"{load_before[0]:.2f} / {load_after[0]:.2f} (this process counts 1)")
    if a.json:
        out = Path(a.json)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps({"settings": {"n": n, "seed": a.seed, "input": list(INPUT), "channels": a.channels,
                                                "machine": machine_tag("ort"), "python": platform.python_version()},
                                   "summary": summary, "models": models}, indent=1, default=float) + "\n")
        print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
