"""The final table and the verdict, from the journal's final trainings (event "final").

Rows: one per (kind, name, epochs), mean and sample std over seeds of the run's objective (the
validation metric, e.g. `val_acc`) and its task kind's held-out metric (e.g. `test_acc`), each in
its direction (nasx.metrics). The winner is the found architecture with the best mean *validation*
value (chosen without looking at test data), the best baseline likewise; the verdict compares their
held-out values, with the standard error of the difference, and their params / latency. Kendall
tau: the K found architectures' search-phase ranking against their final ranking, i.e. how well
the cheap proxy of the search transferred. Each row names its two metrics (`val_metric`,
`test_metric`); for image classification the keys are `val_acc_mean`, `test_acc_mean`, ...
"""

from __future__ import annotations

import math
import statistics

from ..metrics import Metric, metric
from .plan import final_records


def _metrics(rows: list[dict]) -> tuple[Metric, Metric]:
    """(validation, held-out) metrics the rows were built with."""
    r = rows[0] if rows else {}
    return metric(r.get("val_metric", "val_acc")), metric(r.get("test_metric", "test_acc"))


def _mean_std(values: list[float]) -> tuple[float | None, float | None]:
    vals = [v for v in values if v is not None and math.isfinite(v)]
    if not vals:
        return None, None
    return statistics.fmean(vals), (statistics.stdev(vals) if len(vals) > 1 else 0.0)


def final_rows(run) -> list[dict]:
    recs = final_records(run)
    if not recs:
        return []
    epochs = recs[-1].get("epochs")  # the latest protocol; older ones (another --epochs) stay in the journal
    val, test = run.objective(), run.task_kind().held_out_metric
    groups: dict[tuple, list[dict]] = {}
    for r in recs:
        if r.get("epochs") == epochs:
            groups.setdefault((r["kind"], r["name"]), []).append(r)
    rows = []
    for (kind, name), rs in groups.items():
        ok = [r for r in rs if r.get("status") == "ok"]
        row = {"kind": kind, "name": name, "epochs": epochs, "seeds": len(ok), "failed": len(rs) - len(ok),
               "search_rank": rs[0].get("search_rank"), "val_metric": val.name, "test_metric": test.name,
               "arch": f"zoo:{name}" if kind == "baseline" else (rs[0].get("genotype") or {}).get("spec")}
        for key in (val.name, test.name):
            row[f"{key}_mean"], row[f"{key}_std"] = _mean_std([r["metrics"].get(key) for r in ok])
        m = (ok or rs)[0].get("metrics") or {}
        lats = [r["metrics"].get("latency_ms") for r in ok if r["metrics"].get("latency_ms") is not None]
        row.update(params=m.get("params"), macs=m.get("macs"),
                   latency_ms=statistics.median(lats) if lats else m.get("latency_ms"),
                   latency_runtime=m.get("latency_runtime"),
                   device_seconds=sum(float(r.get("device_seconds") or 0.0) for r in rs))
        best = min(ok, key=lambda r: val.best_first(r["metrics"].get(val.name)), default=None)
        row["best_id"], row["weights"] = (best["id"], best.get("weights")) if best else (None, None)
        rows.append(row)
    rows.sort(key=lambda r: val.best_first(r[f"{val.name}_mean"]))
    return rows


def verdict(rows: list[dict]) -> dict:
    val, test = _metrics(rows)
    V, T = val.name, test.name
    found = [r for r in rows if r["kind"] == "found" and r[f"{V}_mean"] is not None]
    base = [r for r in rows if r["kind"] == "baseline" and r[f"{V}_mean"] is not None]
    w = found[0] if found else None
    b = base[0] if base else None
    out = {"winner": w and w["name"], "winner_id": w and w["best_id"], "baseline": b and b["name"],
           "beats": None, "delta_test": None, "delta_test_se": None, "params_ratio": None, "latency_ratio": None}
    if w is None or b is None or w[f"{T}_mean"] is None or b[f"{T}_mean"] is None:
        return out
    out["delta_test"] = w[f"{T}_mean"] - b[f"{T}_mean"]
    out["delta_test_se"] = math.sqrt((w[f"{T}_std"] or 0) ** 2 / max(1, w["seeds"])
                                     + (b[f"{T}_std"] or 0) ** 2 / max(1, b["seeds"]))
    out["beats"] = test.better(w[f"{T}_mean"], b[f"{T}_mean"])
    if w.get("params") and b.get("params"):
        out["params_ratio"] = w["params"] / b["params"]
    if w.get("latency_ms") and b.get("latency_ms"):
        out["latency_ratio"] = w["latency_ms"] / b["latency_ms"]
    return out


def rank_transfer(rows: list[dict]) -> dict:
    """Kendall tau between the search's ranking of the retrained found architectures and the final one."""
    val, _ = _metrics(rows)
    found = [r for r in rows if r["kind"] == "found" and r["search_rank"] is not None
             and r[f"{val.name}_mean"] is not None]
    if len(found) < 2:
        return {"kendall_tau": None, "n": len(found)}
    from scipy.stats import kendalltau

    tau = kendalltau([-r["search_rank"] for r in found], [val.signed(r[f"{val.name}_mean"]) for r in found]).statistic
    return {"kendall_tau": None if tau is None or math.isnan(tau) else float(tau), "n": len(found)}


def verdict_line(v: dict, rows: list[dict]) -> str:
    if v["winner"] is None:
        return "no found architecture finished its final training"
    _, test = _metrics(rows)
    T = test.name
    w = next(r for r in rows if r["kind"] == "found" and r["name"] == v["winner"])
    if v["baseline"] is None:
        sd = f" +- {_value(test, w[f'{T}_std'])}" if w["seeds"] > 1 else ""
        return (f"winner: {v['winner']} ({test.title} {_value(test, w[f'{T}_mean'])}{sd} over {w['seeds']} "
                f"seed{'s' if w['seeds'] != 1 else ''}); no baseline to compare with")
    b = next(r for r in rows if r["kind"] == "baseline" and r["name"] == v["baseline"])
    ratios = []
    if v["params_ratio"] is not None:
        ratios.append(f"{v['params_ratio']:.2f}x the params")
    if v["latency_ratio"] is not None:
        ratios.append(f"{v['latency_ratio']:.2f}x the latency ({w.get('latency_runtime') or '?'})")
    scale, unit = (100, f"points {test.title}") if test.fraction else (1, test.title)
    spread = (f" +- {scale * v['delta_test_se']:.2f}" if min(w["seeds"], b["seeds"]) > 1
              else " (one seed: no spread)")
    delta = (f"{scale * v['delta_test']:+.2f}{spread} {unit}"
             if v["delta_test"] is not None else f"{test.title} missing")
    head = (f"found {v['winner']} beats the best baseline {v['baseline']}" if v["beats"] else
            f"no found architecture beat the best baseline {v['baseline']}; the best found, {v['winner']}, is")
    return (f"{head}: {delta} ({_value(test, w[f'{T}_mean'])} vs {_value(test, b[f'{T}_mean'])}, {w['epochs']} epochs, "
            f"{min(w['seeds'], b['seeds'])} seeds)" + (f", {', '.join(ratios)}" if ratios else ""))


def final_summary(run) -> dict:
    rows = final_rows(run)
    v = verdict(rows)
    return {"rows": rows, "verdict": {**v, "line": verdict_line(v, rows)}, "rank_transfer": rank_transfer(rows),
            "device_seconds": sum(r["device_seconds"] for r in rows)}


def _value(m: Metric, x) -> str:
    if x is None:
        return "-"
    return f"{100 * x:.2f}%" if m.fraction else f"{x:.4g}"
