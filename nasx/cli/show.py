"""`nasx show RUN`: status, budget and leaderboard of a run (a table, or --json)."""

from __future__ import annotations

import click
from rich.table import Table

from ..metrics import metric
from ..reports import REPORTS, summarize_reports
from ..runs import RunDir
from .common import console, echo_json, human


def print_leaderboard(run: RunDir, top: int = 20) -> None:
    """Found trials best first by the run's objective (its task kind's metric and direction), then
    the baselines; columns: the objective, the kind's held-out metric, the shared costs."""
    board = run.leaderboard()
    val, test = run.objective(), run.task_kind().held_out_metric
    t = Table(title=f"leaderboard: {run.path.name}")
    for col in ("rank", "trial", val.name, test.name, "params", "MACs", "latency b1", "device-s", "arch"):
        t.add_column(col, overflow="fold")
    for i, tr in enumerate(board[:top], start=1):
        m = tr.metrics
        t.add_row(str(i), tr.trial_id, val.format(m.get(val.name)), test.format(m.get(test.name)),
                  human(m.get("params")), human(m.get("macs")),
                  f"{m['latency_ms_b1']:.2f} ms" if m.get("latency_ms_b1") is not None else "-",
                  f"{tr.device_seconds:.1f}", tr.genotype.hash[:8])
    for r in run.records():
        if r.get("event") == "baseline":
            acc = r.get(val.name)
            name = r["model"] if r.get("learned", True) else f"{r['model']} (did not learn)"
            t.add_row("base", name, val.format(acc) if acc is not None else r.get("status", "-"),
                      test.format(r.get(test.name)),
                      human(r.get("params")), human(r.get("macs")),
                      f"{r['latency_ms_b1']:.2f} ms" if r.get("latency_ms_b1") is not None else "-",
                      f"{r.get('device_seconds') or 0:.1f}", f"zoo:{r['model']}",
                      style="italic" if r.get("learned", True) else "italic red")
    console.print(t)
    for r in run.records():
        if r.get("event") == "baseline" and r.get("why_not"):
            console.print(r["why_not"], style="yellow", soft_wrap=True, markup=False)


def _col(m) -> str:
    return f"{m.title} %" if m.fraction else m.title


def _pm(m, mean, std, n: int = 2) -> str:
    """mean +- std (in % for a fraction), the mean alone for one seed (a sample std needs two)."""
    if mean is None:
        return "-"
    k = 100 if m.fraction else 1
    return f"{k * mean:.2f}" if n < 2 else f"{k * mean:.2f} +- {k * (std or 0):.2f}"


def print_final(run: RunDir, summary: dict | None = None) -> None:
    """The final table (mean +- std over seeds), the verdict line and the rank transfer."""
    from ..final.verdict import final_summary

    s = summary or final_summary(run)
    if not s["rows"]:
        return
    rt = s["rows"][0].get("latency_runtime") or "-"
    t = Table(title=f"final phase: every row trained from scratch under one protocol ({s['rows'][0]['epochs']} "
                    "epochs), mean +- std over seeds")
    val, test = metric(s["rows"][0]["val_metric"]), metric(s["rows"][0]["test_metric"])
    for col in ("kind", "name", "seeds", _col(val), _col(test), "params", "MACs", f"latency ms ({rt})",
                "device-s", "search rank"):
        t.add_column(col, overflow="fold")
    for r in s["rows"]:
        seeds = str(r["seeds"]) + (f" ({r['failed']} failed)" if r["failed"] else "")
        t.add_row(r["kind"], r["name"], seeds, _pm(val, r[f"{val.name}_mean"], r[f"{val.name}_std"], r["seeds"]),
                  _pm(test, r[f"{test.name}_mean"], r[f"{test.name}_std"], r["seeds"]), human(r.get("params")),
                  human(r.get("macs")),
                  f"{r['latency_ms']:.4f}" if r.get("latency_ms") is not None else "-",
                  f"{r['device_seconds']:.1f}", str(r["search_rank"] or "-"),
                  style="italic" if r["kind"] == "baseline" else None)
    console.print(t)
    console.print("verdict: " + s["verdict"]["line"], soft_wrap=True, markup=False, highlight=False)
    tau = s["rank_transfer"]
    if tau["kendall_tau"] is not None:
        console.print(f"search rank -> final rank of the {tau['n']} retrained: Kendall tau {tau['kendall_tau']:.2f} "
                      "(1: the search's short training ranked them as full training does)", soft_wrap=True,
                      markup=False, highlight=False)


def _proxy_device_seconds(t) -> float:
    """A pre-screened trial's proxy time, charged to the budget as the trial's devices held."""
    from ..budget import trial_device_seconds

    m = t.meta or {}
    return trial_device_seconds(float(m.get("proxy_seconds") or 0.0), float(m.get("cpus", 1.0)),
                                float(m.get("gpus", 0.0)))


def run_summary(run: RunDir) -> dict:
    meta = run.meta()
    trials = run.trials()
    return {
        "run": run.path.name, "status": meta.get("status"),
        "budget": {"limit": run.config().get("budget"),
                   "spent_device_seconds": sum(t.device_seconds + _proxy_device_seconds(t) for t in trials),
                   "spent_wall_seconds": meta.get("wall_seconds_total"), "trials": len(trials)},
        "trials": [{"id": t.trial_id, "genotype": t.genotype.to_dict(), "status": t.status, "reason": t.reason,
                    "metrics": t.metrics, "device_seconds": t.device_seconds} for t in trials],
        "baselines": [{"learned": None, **r} for r in run.records() if r.get("event") == "baseline"],
        **{name: None for name in REPORTS},  # plug-ins' sections (ENAS: enas_rerank, enas_supernet)
        **summarize_reports(trials),
        "final": _final(run),
    }


def _final(run: RunDir) -> dict | None:
    from ..final import final_records
    from ..final.verdict import final_summary

    if not final_records(run):
        return None
    s = final_summary(run)
    meta = run.meta()
    return {**s, "status": meta.get("final_status"), "settings": meta.get("final_settings"),
            "reserved_seconds": meta.get("final_reserve")}


@click.command(help="Leaderboard and status of a run directory.")
@click.argument("run_dir", type=click.Path())
@click.option("--top", type=click.IntRange(1, 10_000), default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object: status, budget, trials.")
def command(run_dir, top, as_json):
    run = RunDir.open(run_dir)
    s = run_summary(run)
    if as_json:
        echo_json(s)
        return
    b = s["budget"]
    st = [t["status"] for t in s["trials"]]
    rejected = f", {st.count('rejected')} rejected by a constraint" if "rejected" in st else ""
    console.print(f"run {s['run']}: {s['status']}; {b['trials']} trials ({st.count('ok')} ok, "
                  f"{st.count('failed')} failed, {st.count('stopped')} stopped{rejected}); "
                  f"{b['spent_device_seconds']:.0f} device-s spent of {b['limit']}"
                  + (f"; final phase {s['final']['device_seconds']:.0f} device-s ({s['final']['status']})"
                     if s["final"] else ""))
    print_leaderboard(run, top)
    if s["final"]:
        print_final(run, s["final"])
    for name, report in REPORTS.items():
        if s.get(name):
            console.print(report.describe(s[name]), soft_wrap=True, markup=False)
    plots = run.path / "plots"
    if plots.is_dir():
        console.print("pictures: " + ", ".join(str(p) for p in sorted(plots.glob("*.png"))))
