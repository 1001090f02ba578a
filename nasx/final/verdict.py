"""The final table and the verdict, from the journal's final trainings (event "final").

Rows: one per (kind, name, epochs), mean and sample std over seeds. The winner is the found
architecture with the best mean *validation* accuracy (chosen without looking at test data), the
best baseline likewise; the verdict compares their test accuracy, with the standard error of the
difference, and their params / latency. Kendall tau: the K found architectures' search-phase
ranking against their final ranking, i.e. how well the cheap proxy of the search transferred.
"""

from __future__ import annotations

import math
import statistics

from .plan import final_records

MEAN_KEYS = ("val_acc", "test_acc")


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
    groups: dict[tuple, list[dict]] = {}
    for r in recs:
        if r.get("epochs") == epochs:
            groups.setdefault((r["kind"], r["name"]), []).append(r)
    rows = []
    for (kind, name), rs in groups.items():
        ok = [r for r in rs if r.get("status") == "ok"]
        row = {"kind": kind, "name": name, "epochs": epochs, "seeds": len(ok), "failed": len(rs) - len(ok),
               "search_rank": rs[0].get("search_rank"),
               "arch": f"zoo:{name}" if kind == "baseline" else (rs[0].get("genotype") or {}).get("spec")}
        for key in MEAN_KEYS:
            row[f"{key}_mean"], row[f"{key}_std"] = _mean_std([r["metrics"].get(key) for r in ok])
        m = (ok or rs)[0].get("metrics") or {}
        lats = [r["metrics"].get("latency_ms") for r in ok if r["metrics"].get("latency_ms") is not None]
        row.update(params=m.get("params"), macs=m.get("macs"),
                   latency_ms=statistics.median(lats) if lats else m.get("latency_ms"),
                   latency_runtime=m.get("latency_runtime"),
                   device_seconds=sum(float(r.get("device_seconds") or 0.0) for r in rs))
        best = max(ok, key=lambda r: r["metrics"].get("val_acc") or -1.0, default=None)
        row["best_id"], row["weights"] = (best["id"], best.get("weights")) if best else (None, None)
        rows.append(row)
    rows.sort(key=lambda r: -(r["val_acc_mean"] if r["val_acc_mean"] is not None else -1.0))
    return rows


def verdict(rows: list[dict]) -> dict:
    found = [r for r in rows if r["kind"] == "found" and r["val_acc_mean"] is not None]
    base = [r for r in rows if r["kind"] == "baseline" and r["val_acc_mean"] is not None]
    w = found[0] if found else None
    b = base[0] if base else None
    out = {"winner": w and w["name"], "winner_id": w and w["best_id"], "baseline": b and b["name"],
           "beats": None, "delta_test": None, "delta_test_se": None, "params_ratio": None, "latency_ratio": None}
    if w is None or b is None or w["test_acc_mean"] is None or b["test_acc_mean"] is None:
        return out
    out["delta_test"] = w["test_acc_mean"] - b["test_acc_mean"]
    out["delta_test_se"] = math.sqrt((w["test_acc_std"] or 0) ** 2 / max(1, w["seeds"])
                                     + (b["test_acc_std"] or 0) ** 2 / max(1, b["seeds"]))
    out["beats"] = out["delta_test"] > 0
    if w.get("params") and b.get("params"):
        out["params_ratio"] = w["params"] / b["params"]
    if w.get("latency_ms") and b.get("latency_ms"):
        out["latency_ratio"] = w["latency_ms"] / b["latency_ms"]
    return out


def rank_transfer(rows: list[dict]) -> dict:
    """Kendall tau between the search's ranking of the retrained found architectures and the final one."""
    found = [r for r in rows if r["kind"] == "found" and r["search_rank"] is not None and r["val_acc_mean"] is not None]
    if len(found) < 2:
        return {"kendall_tau": None, "n": len(found)}
    from scipy.stats import kendalltau

    tau = kendalltau([-r["search_rank"] for r in found], [r["val_acc_mean"] for r in found]).statistic
    return {"kendall_tau": None if tau is None or math.isnan(tau) else float(tau), "n": len(found)}


def verdict_line(v: dict, rows: list[dict]) -> str:
    if v["winner"] is None:
        return "no found architecture finished its final training"
    w = next(r for r in rows if r["kind"] == "found" and r["name"] == v["winner"])
    if v["baseline"] is None:
        sd = f" +- {_pct(w['test_acc_std'])}" if w["seeds"] > 1 else ""
        return (f"winner: {v['winner']} (test {_pct(w['test_acc_mean'])}{sd} over {w['seeds']} "
                f"seed{'s' if w['seeds'] != 1 else ''}); no baseline to compare with")
    b = next(r for r in rows if r["kind"] == "baseline" and r["name"] == v["baseline"])
    ratios = []
    if v["params_ratio"] is not None:
        ratios.append(f"{v['params_ratio']:.2f}x the params")
    if v["latency_ratio"] is not None:
        ratios.append(f"{v['latency_ratio']:.2f}x the latency ({w.get('latency_runtime') or '?'})")
    spread = (f" +- {100 * v['delta_test_se']:.2f}" if min(w["seeds"], b["seeds"]) > 1
              else " (one seed: no spread)")
    delta = (f"{100 * v['delta_test']:+.2f}{spread} points test accuracy"
             if v["delta_test"] is not None else "test accuracy missing")
    head = (f"found {v['winner']} beats the best baseline {v['baseline']}" if v["beats"] else
            f"no found architecture beat the best baseline {v['baseline']}; the best found, {v['winner']}, is")
    return (f"{head}: {delta} ({_pct(w['test_acc_mean'])} vs {_pct(b['test_acc_mean'])}, {w['epochs']} epochs, "
            f"{min(w['seeds'], b['seeds'])} seeds)" + (f", {', '.join(ratios)}" if ratios else ""))


def final_summary(run) -> dict:
    rows = final_rows(run)
    v = verdict(rows)
    return {"rows": rows, "verdict": {**v, "line": verdict_line(v, rows)}, "rank_transfer": rank_transfer(rows),
            "device_seconds": sum(r["device_seconds"] for r in rows)}


def _pct(x) -> str:
    return "-" if x is None else f"{100 * x:.2f}%"
