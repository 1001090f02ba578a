"""A search under --max-latency-ms, checked from outside: every trained candidate's exported
model.onnx is timed again with ONNX Runtime directly (not through nasx.latency), and compared with
the limit; the cost of each rejection is printed.

    python benchmarks/constrained_search.py [--limit-ms X | --percentile 30] [--trials 24] [--json]

The default limit is the 30th percentile of the ORT medians in benchmarks/results/latency_stability.json
(50 random `cells` architectures at the demo's settings: digits 1x8x8, channels 8).
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def time_onnx(path: Path, shape, runs: int = 300, warmup: int = 50, window: float = 0.3) -> float:
    """Median ms of one batch-1 run of `path` on ONNX Runtime CPU, 1 intra-op thread, over at least
    `runs` runs and `window` seconds (the same protocol as nasx.latency, written separately)."""
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads, so.inter_op_num_threads = 1, 1
    sess = ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name
    x = np.random.default_rng(0).standard_normal((1, *shape)).astype(np.float32)
    for _ in range(warmup):
        sess.run(None, {name: x})
    ts, t0 = [], time.perf_counter()
    while len(ts) < runs or time.perf_counter() - t0 < window:
        t = time.perf_counter()
        sess.run(None, {name: x})
        ts.append(time.perf_counter() - t)
    return statistics.median(ts) * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit-ms", type=float, default=None)
    ap.add_argument("--percentile", type=float, default=30.0)
    ap.add_argument("--trials", type=int, default=24)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--config", default="demo", help="the search's config (default: the demo's)")
    ap.add_argument("--stability", default="latency_stability.json", help="results/ file giving the percentile")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    from nasx.cli import main as nasx_main
    from nasx.export import from_run, write_export
    from nasx.runs import RunDir

    limit = args.limit_ms
    if limit is None:
        stab = json.loads((HERE / "results" / args.stability).read_text())
        meds = [m["ort"][0]["median_ms"] for m in stab["models"] if m["key"].startswith("cells:")]
        limit = float(np.percentile(meds, args.percentile))
    tmp = Path(tempfile.mkdtemp(prefix="nasx-constrained-"))
    run_dir = tmp / "run"
    t0 = time.time()
    rc = nasx_main(["search", "--config", args.config, "--executor", "inprocess", "--budget", f"{args.trials}trials",
                    "--epochs", "1", "--seed", str(args.seed), "--baselines", "", "--run-dir", str(run_dir),
                    "--max-latency-ms", str(limit)])
    wall = time.time() - t0
    assert rc == 0, rc
    run = RunDir(run_dir)
    trials = run.trials()
    rows = []
    for t in trials:
        row = {"id": t.trial_id, "status": t.status, "latency_ms": t.metrics.get("latency_ms"),
               "measure_s": t.metrics.get("latency_seconds"), "wall_s": t.wall_seconds, "reason": t.reason}
        if t.status == "ok":
            out = tmp / "exports" / t.trial_id
            write_export(from_run(run_dir, trial=t.trial_id), out, formats=("onnx",), check=False)
            row["retimed_ms"] = time_onnx(out / "model.onnx", tuple(t.build["input_size"]))
        rows.append(row)
    ok = [r for r in rows if r["status"] == "ok"]
    rej = [r for r in rows if r["status"] == "rejected"]
    over = [r for r in ok if r["retimed_ms"] > limit]
    summary = {
        "limit_ms": limit, "trials": len(rows), "trained": len(ok), "rejected": len(rej),
        "failed": len(rows) - len(ok) - len(rej),
        "trained_retimed_over_limit": len(over),
        "trained_retimed_max_ms": max((r["retimed_ms"] for r in ok), default=None),
        "trained_retimed_median_ms": statistics.median([r["retimed_ms"] for r in ok]) if ok else None,
        "rejection_wall_s_median": statistics.median([r["wall_s"] for r in rej]) if rej else None,
        "rejection_wall_s_max": max((r["wall_s"] for r in rej), default=None),
        "trained_wall_s_median": statistics.median([r["wall_s"] for r in ok]) if ok else None,
        "search_wall_s": wall,
    }
    (HERE / "results" / "constrained_search.json").write_text(json.dumps({"summary": summary, "rows": rows},
                                                                         indent=1) + "\n")
    if args.json:
        print(json.dumps(summary))
        return
    print(f"\nlimit {limit:.4f} ms (ORT, 1 thread, batch 1)")
    print(f"{'trial':<12} {'status':<9} {'search ms':>10} {'re-timed ms':>12} {'wall s':>8}")
    for r in rows:
        rt = f"{r['retimed_ms']:.4f}" if r.get("retimed_ms") is not None else "-"
        lat = f"{r['latency_ms']:.4f}" if r.get("latency_ms") is not None else "-"
        print(f"{r['id']:<12} {r['status']:<9} {lat:>10} {rt:>12} {r['wall_s']:>8.2f}")
    for k, v in summary.items():
        print(f"{k}: {v:.4g}" if isinstance(v, float) else f"{k}: {v}")


if __name__ == "__main__":
    main()
