"""The bench's summary: per strategy, the pick's mean / std over seeds at fixed query counts, and
how many queries it takes to reach the target."""

from __future__ import annotations

import math

import numpy as np

CHECKPOINTS = (25, 50, 100, 150)


def checkpoints(queries: int) -> list[int]:
    return [c for c in CHECKPOINTS if c <= queries] or [queries]


def _num(x) -> float | None:
    return None if x is None or not math.isfinite(x) else round(float(x), 4)


def summarize_traces(traces: dict[str, np.ndarray], target: float) -> dict:
    """Per strategy: mean/std (over seeds, %) of the pick at each checkpoint, and queries to `target`."""
    out = {}
    for s, tr in traces.items():
        row = {}
        for c in checkpoints(tr.shape[1]):
            col = tr[:, c - 1]
            col = col[np.isfinite(col)]
            row[str(c)] = {"mean": _num(col.mean()) if len(col) else None,
                           "std": _num(col.std()) if len(col) else None}
        hit = np.nan_to_num(tr, nan=-np.inf) >= target
        reached = hit.any(axis=1)
        first = hit.argmax(axis=1) + 1
        out[s] = {"at": row, "reached": float(reached.mean()),
                  "queries_to_target": _num(first[reached].mean()) if reached.any() else None}
    return out
