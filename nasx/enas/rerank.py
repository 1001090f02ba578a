"""How far to trust an ENAS run's shared weights: Kendall's tau of the re-ranked children's
shared-weight validation score vs the score their short proxy training reached, and how many SGD
steps the supernet trained (`supernet_report`).

Read from the run's journal (the proxy trials carry `meta["derive_rank"]` and `meta["shared_<m>"]`,
m the task kind's objective: `shared_val_acc` for images, `shared_val_bpc` for language models), so
`nasx show` and the file written at the end of a search agree, and a resumed run counts every child
once. The best child is the best by m's direction (`nasx.metrics`). Torch-free, no scipy: tau-b on
a handful of pairs.
"""

from __future__ import annotations

import math
from pathlib import Path

from ..atomic import write_json
from ..metrics import METRICS, metric
from ..reports import RunReport, register_report

RERANK_FILE = "enas/rerank.json"


def kendall_tau(a: list[float], b: list[float]) -> float | None:
    """Kendall's tau-b (ties in either list handled); None for fewer than two pairs or all ties."""
    n = len(a)
    concordant = discordant = ties_a = ties_b = 0
    for i in range(n):
        for j in range(i + 1, n):
            da, db = a[i] - a[j], b[i] - b[j]
            if da == 0 and db == 0:
                continue
            if da == 0:
                ties_a += 1
            elif db == 0:
                ties_b += 1
            elif (da > 0) == (db > 0):
                concordant += 1
            else:
                discordant += 1
    denom = math.sqrt((concordant + discordant + ties_a) * (concordant + discordant + ties_b))
    return (concordant - discordant) / denom if denom else None


def scored_metric(meta: dict) -> str:
    """The metric a re-ranked child's shared-weight score is in: its meta key `shared_<m>` names m
    (val_acc for runs from before other task kinds)."""
    return next((k.removeprefix("shared_") for k in meta if k.startswith("shared_")
                 and k.removeprefix("shared_") in METRICS), "val_acc")


def rerank_report(trials) -> dict | None:
    """The re-ranked children of a run (journal order) and the tau; None when the run has none."""
    children = [t for t in trials if (t.meta or {}).get("derive_rank") is not None]
    if not children:
        return None
    m = scored_metric(children[0].meta)
    shared, proxy = f"shared_{m}", f"proxy_{m}"
    rows = [{"id": t.trial_id, "derive_rank": t.meta["derive_rank"], shared: t.meta.get(shared),
             proxy: t.metrics.get(m), "status": t.status, "arch": t.genotype.spec} for t in children]
    pairs = [(r[shared], r[proxy]) for r in rows
             if r["status"] == "ok" and r[shared] is not None and r[proxy] is not None]
    tau = kendall_tau([p[0] for p in pairs], [p[1] for p in pairs]) if len(pairs) >= 2 else None
    best = min((r for r in rows if r[proxy] is not None), key=lambda r: metric(m).best_first(r[proxy]), default=None)
    # validation images the shared weights ranked on (`derive_rank_images`; None: a run from before the option)
    rank_images = next((t.metrics["derived_rank_images"] for t in trials
                        if (t.metrics or {}).get("derived_rank_images") is not None), None)
    return {"children": sorted(rows, key=lambda r: r["derive_rank"]), "kendall_tau": tau, "pairs": len(pairs),
            "best": best and best["id"], "rank_images": rank_images, "metric": m}


def write_rerank(run) -> Path | None:
    """Write `enas/rerank.json` in the run directory when the run re-ranked children."""
    report = rerank_report(run.trials())
    if report is None:
        return None
    path = Path(run.path) / RERANK_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_json(path, report)


FEW_STEPS = 300  # below this many supernet steps the micro probe's shared weights ranked cells at chance


def supernet_report(trials) -> dict | None:
    """Epochs and SGD steps the run's ENAS supernet trained (None: no ENAS trial, or one from before
    the count), and whether that is few enough for its ranking to be noise (`FEW_STEPS`)."""
    for t in trials:
        m = t.metrics or {}
        if (t.meta or {}).get("runner") and m.get("supernet_steps") is not None:
            steps = int(m["supernet_steps"])
            return {"epochs": m.get("enas_epochs_done"), "steps": steps, "batch_size": m.get("supernet_batch"),
                    "few": steps < FEW_STEPS}
    return None


def describe_supernet(report: dict) -> str:
    e = report["epochs"]
    line = (f"ENAS supernet: {e} epoch{'' if e == 1 else 's'}, {report['steps']} SGD steps at batch "
            f"{report['batch_size']}")
    if report["few"]:
        line += (f"; few: below ~{FEW_STEPS} steps the shared weights ranked cells at chance in the micro-space "
                 "probe (benchmarks/README.md), so raise enas_epochs or lower the option batch_size")
    return line


def describe_rerank(report: dict) -> str:
    tau = report["kendall_tau"]
    t = "n/a" if tau is None else f"{tau:+.2f}"
    on = f" (ranked on {report['rank_images']} validation images)" if report.get("rank_images") else ""
    what = metric(report.get("metric") or "val_acc").title  # "val accuracy", "val bits/token"
    return (f"ENAS re-rank: {len(report['children'])} children trained from scratch{on}; Kendall tau of shared-weight "
            f"vs proxy {what} {t} over {report['pairs']} pairs (1: the shared weights ranked them right; "
            f"0: no better than chance); best {report['best']}")


# the two sections ENAS adds to a run (`nasx show`, `show --json` keys, the file at the end of a search)
register_report(RunReport("enas_supernet", supernet_report, describe_supernet))
register_report(RunReport("enas_rerank", rerank_report, describe_rerank, write_rerank))
