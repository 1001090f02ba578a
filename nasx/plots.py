"""Pictures of a run: search progress and the Pareto front (matplotlib, Agg backend, PNG files)."""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.ticker import EngFormatter, FixedLocator, NullFormatter, NullLocator

MAX_TICKS = 6
# mantissas tried per decade, densest first: a range under one decade still gets labelled ticks
TICK_MANTISSAS = ((1, 2, 3, 4, 5, 6, 7, 8, 9), (1, 2, 3, 5, 7), (1, 2, 5), (1, 3), (1,))


def log_ticks(lo: float, hi: float, max_ticks: int = MAX_TICKS) -> list[float]:
    """At most `max_ticks` round values (d x 10^k) within [lo, hi], the densest set that fits; over
    many decades every n-th power of ten; a range too narrow for two round values gets its ends."""
    if not (lo > 0 and hi > 0):
        return []
    lo, hi = min(lo, hi), max(lo, hi)
    k0, k1 = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
    for mantissas in TICK_MANTISSAS:
        ticks = [m * 10.0 ** k for k in range(k0, k1 + 1) for m in mantissas if lo <= m * 10.0 ** k <= hi]
        if len(ticks) <= max_ticks:
            break
    else:
        step = math.ceil((k1 - k0 + 1) / max_ticks)
        ticks = [10.0 ** k for k in range(k0, k1 + 1, step) if lo <= 10.0 ** k <= hi]
    return ticks if len(ticks) >= 2 else [lo, hi]


def readable_log_axis(ax, axis: str = "x") -> None:
    """A log axis whose labels never overlap: few round ticks (`log_ticks`), short engineering labels
    (300k, 1.2M), no minor labels. Call after the data is drawn (it reads the limits)."""
    getattr(ax, f"set_{axis}scale")("log")
    which = ax.xaxis if axis == "x" else ax.yaxis
    lo, hi = getattr(ax, f"get_{axis}lim")()
    which.set_major_locator(FixedLocator(log_ticks(lo, hi)))
    which.set_major_formatter(EngFormatter(sep=""))
    which.set_minor_locator(NullLocator())
    which.set_minor_formatter(NullFormatter())


def pareto_front(points: list[tuple[float, float]]) -> list[int]:
    """Indices of points not dominated in (minimize x, maximize y), sorted by x."""
    order = sorted(range(len(points)), key=lambda i: (points[i][0], -points[i][1]))
    front, best = [], float("-inf")
    for i in order:
        if points[i][1] > best:
            front.append(i)
            best = points[i][1]
    return front


def _metric(objective):
    from .metrics import metric

    return objective if objective is not None else metric("val_acc")


def _y_axis(ax, m, text: str) -> None:
    """Label the y axis; a metric to minimise is drawn upside down, so up is better in every picture."""
    ax.set_ylabel(text)
    if m.direction == "min":
        ax.invert_yaxis()


def progress_plot(trials, path: Path, title: str = "", objective=None) -> Path:
    """Best-so-far value of the search's objective (a nasx.metrics.Metric; default val_acc) vs
    cumulative device-hours (every trial as a dot)."""
    m = _metric(objective)
    xs, ys, best_x, best_y = [], [], [], []
    spent, best = 0.0, None
    for t in trials:
        spent += t.device_seconds / 3600
        acc = t.metrics.get(m.name) if t.status == "ok" else None
        if m.valid(acc):
            xs.append(spent)
            ys.append(acc)
            best = acc if m.better(acc, best) else best
        if best is not None:
            best_x.append(spent)
            best_y.append(best)
    fig, ax = plt.subplots(figsize=(7, 4.2), dpi=110)
    ax.scatter(xs, ys, s=12, alpha=0.5, label="trial")
    if best_x:
        ax.step(best_x, best_y, where="post", color="C3", label="best so far")
    failed = [sum(u.device_seconds for u in trials[: i + 1]) / 3600 for i, t in enumerate(trials) if t.status == "failed"]
    if failed and ys:
        worst = min(ys) if m.direction == "max" else max(ys)
        ax.scatter(failed, [worst] * len(failed), marker="x", color="gray", label="failed")
    ax.set_xlabel("device-hours spent")
    _y_axis(ax, m, m.title)
    ax.set_title(title or "search progress")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def final_panel(ax, rows: list[dict]) -> None:
    """The final phase: the mean held-out metric (+- std over seeds; test accuracy for images) vs
    deployment latency; found architectures as dots, baselines as stars, each labelled."""
    from .metrics import metric

    test = metric(rows[0].get("test_metric", "test_acc")) if rows else metric("test_acc")
    T = test.name
    pts = [r for r in rows if r.get(f"{T}_mean") is not None and r.get("latency_ms")]
    for i, r in enumerate(sorted(pts, key=lambda r: (r["latency_ms"], r[f"{T}_mean"]))):
        found = r["kind"] == "found"
        ax.errorbar([r["latency_ms"]], [r[f"{T}_mean"]], yerr=[r.get(f"{T}_std") or 0.0],
                    fmt="o" if found else "*", ms=6 if found else 12, color="C3" if found else "k", capsize=3)
        # neighbours in latency get labels at staggered heights, so a cluster stays readable
        ax.annotate(r["name"], (r["latency_ms"], r[f"{T}_mean"]), textcoords="offset points",
                    xytext=(6, (4, -11, 15)[i % 3]), fontsize=7)
    ax.margins(x=0.2, y=0.1)  # linear: latencies of one search sit within a few x of each other
    runtime = next((r.get("latency_runtime") for r in pts if r.get("latency_runtime")), "?")
    epochs = pts[0]["epochs"] if pts else "?"
    ax.set_xlabel(f"latency (ms, {runtime}, batch 1)")
    _y_axis(ax, test, f"final {test.title} ({epochs} epochs)")
    ax.set_title("final phase: found (red) vs baselines (stars)", fontsize=9)
    ax.grid(alpha=0.3)


def pareto_plot(trials, baselines: list[dict], path: Path, title: str = "", final: list[dict] | None = None,
                objective=None) -> Path:
    """The objective (default val_acc) vs params and vs MACs; the Pareto front joined; baselines as
    labelled stars; with a final phase a third panel: the final held-out metric vs latency."""
    m = _metric(objective)
    V = m.name
    ok = [t for t in trials if t.status == "ok" and m.valid(t.metrics.get(V))]
    fig, axes = plt.subplots(1, 3 if final else 2, figsize=(16 if final else 11, 4.2), dpi=110)
    if final:
        final_panel(axes[2], final)
    for ax, key, label in ((axes[0], "params", "parameters"), (axes[1], "macs", "MACs")):
        pts = [(t.metrics[key], t.metrics[V]) for t in ok if (t.metrics.get(key) or 0) > 0]  # log axis
        if pts:
            ax.scatter([p[0] for p in pts], [p[1] for p in pts], s=14, alpha=0.5, label="candidates")
            front = pareto_front([(x, m.signed(y)) for x, y in pts])
            ax.plot([pts[i][0] for i in front], [pts[i][1] for i in front], "-o", color="C3", ms=4,
                    label="Pareto front")
        stars = [b for b in baselines if b.get(V) is not None and b.get(key)]
        for b in stars:
            ok_ = b.get("learned", True) is not False  # older runs' records have no verdict
            ax.scatter([b[key]], [b[V]], marker="*", s=140, color="k" if ok_ else "none",
                       edgecolors="k" if ok_ else "C3", linewidths=1.2)
        ax.set_xscale("log")
        ax.margins(x=0.08)
        ax.autoscale_view()
        readable_log_axis(ax, "x")
        lo, hi = (math.log10(v) for v in ax.get_xlim())
        for b in stars:  # labels right of the star, or left of it in the axis' right third (never clipped)
            ok_ = b.get("learned", True) is not False
            right = (math.log10(b[key]) - lo) / max(hi - lo, 1e-12) > 0.67
            ax.annotate(b["model"] if ok_ else f"{b['model']} (did not learn)", (b[key], b[V]),
                        textcoords="offset points", xytext=(-7 if right else 5, 4), ha="right" if right else "left",
                        fontsize=8, color="k" if ok_ else "C3")
        ax.set_xlabel(label)
        _y_axis(ax, m, m.title)
        ax.grid(alpha=0.3)
    if ok:
        axes[0].legend(loc="best")
    fig.suptitle(title or f"{m.title} vs size (baselines: stars; hollow red: did not learn)")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path
