"""Pictures of a run: search progress and the Pareto front (matplotlib, Agg backend, PNG files)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt


def pareto_front(points: list[tuple[float, float]]) -> list[int]:
    """Indices of points not dominated in (minimize x, maximize y), sorted by x."""
    order = sorted(range(len(points)), key=lambda i: (points[i][0], -points[i][1]))
    front, best = [], float("-inf")
    for i in order:
        if points[i][1] > best:
            front.append(i)
            best = points[i][1]
    return front


def progress_plot(trials, path: Path, title: str = "") -> Path:
    """Best-so-far validation accuracy vs cumulative device-hours (every trial as a dot)."""
    xs, ys, best_x, best_y = [], [], [], []
    spent, best = 0.0, None
    for t in trials:
        spent += t.device_seconds / 3600
        acc = t.metrics.get("val_acc") if t.status == "ok" else None
        if acc is not None:
            xs.append(spent)
            ys.append(acc)
            best = acc if best is None else max(best, acc)
        if best is not None:
            best_x.append(spent)
            best_y.append(best)
    fig, ax = plt.subplots(figsize=(7, 4.2), dpi=110)
    ax.scatter(xs, ys, s=12, alpha=0.5, label="trial")
    if best_x:
        ax.step(best_x, best_y, where="post", color="C3", label="best so far")
    failed = [sum(u.device_seconds for u in trials[: i + 1]) / 3600 for i, t in enumerate(trials) if t.status == "failed"]
    if failed and ys:
        ax.scatter(failed, [min(ys)] * len(failed), marker="x", color="gray", label="failed")
    ax.set_xlabel("device-hours spent")
    ax.set_ylabel("validation accuracy")
    ax.set_title(title or "search progress")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def pareto_plot(trials, baselines: list[dict], path: Path, title: str = "") -> Path:
    """Accuracy vs params and vs MACs; the Pareto front joined; baselines as labelled stars."""
    ok = [t for t in trials if t.status == "ok" and t.metrics.get("val_acc") is not None]
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), dpi=110)
    for ax, key, label in ((axes[0], "params", "parameters"), (axes[1], "macs", "MACs")):
        pts = [(t.metrics.get(key) or 0, t.metrics["val_acc"]) for t in ok]
        if pts:
            ax.scatter([p[0] for p in pts], [p[1] for p in pts], s=14, alpha=0.5, label="candidates")
            front = pareto_front(pts)
            ax.plot([pts[i][0] for i in front], [pts[i][1] for i in front], "-o", color="C3", ms=4,
                    label="Pareto front")
        for b in baselines:
            if b.get("val_acc") is not None and b.get(key):
                ax.scatter([b[key]], [b["val_acc"]], marker="*", s=140, color="k")
                ax.annotate(b["model"], (b[key], b["val_acc"]), textcoords="offset points", xytext=(5, 4), fontsize=8)
        ax.set_xscale("log")
        ax.set_xlabel(label)
        ax.set_ylabel("validation accuracy")
        ax.grid(alpha=0.3)
    if ok:
        axes[0].legend(loc="lower right")
    fig.suptitle(title or "accuracy vs size (baselines: stars)")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path
