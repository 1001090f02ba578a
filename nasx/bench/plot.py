"""The bench's picture: mean picked test accuracy vs queries, one line per strategy."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def plot_traces(traces: dict[str, np.ndarray], path: Path, optimum: float, target: float, title: str) -> Path:
    """Mean picked test accuracy vs queries, with a standard-error band per strategy."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for s, tr in traces.items():
        x = np.arange(1, tr.shape[1] + 1)
        with np.errstate(all="ignore"):
            m = np.nanmean(tr, axis=0) if np.isfinite(tr).any() else np.full(tr.shape[1], np.nan)
            se = np.nanstd(tr, axis=0) / np.sqrt(max(1, tr.shape[0]))
        ax.plot(x, m, label=s)
        ax.fill_between(x, m - se, m + se, alpha=0.2)
    ax.axhline(optimum, color="k", ls="--", lw=0.8, label=f"optimum {optimum:.2f}")
    ax.axhline(target, color="gray", ls=":", lw=0.8, label=f"target {target:.1f}")
    finite = np.concatenate([t[np.isfinite(t)] for t in traces.values()] + [np.array([optimum])])
    lo = np.percentile(finite, 5) if len(finite) > 1 else optimum - 1
    ax.set_ylim(max(lo, optimum - 3), optimum + 0.2)
    ax.set_xlabel("queries (12-epoch trainings)")
    ax.set_ylabel("test accuracy of the pick (%)")
    ax.set_title(title)
    ax.legend(loc="lower right")
    ax.grid(alpha=0.3)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
