"""NAS-Bench-201 (CIFAR-10) as an evaluator: a table lookup instead of training.

The table (nb201/nb201_cifar10.csv.gz, see its README for provenance) holds all 15,625 cells with
12- and 200-epoch accuracies. A search reads `val_acc` = the 12-epoch validation accuracy (the
benchmark's cheap signal) and is judged by `test_acc_200ep`; each query "costs" cost_per_query_s
simulated device-seconds so that strategies can be compared under a time budget.
"""

from __future__ import annotations

import csv
import gzip
from functools import lru_cache
from pathlib import Path

import numpy as np

from .._data import data_dir
from ..errors import NasxError
from .evaluator import Evaluator
from .result import Result, StopTrial, empty_metrics

TABLE_FILE = "nb201_cifar10.csv.gz"
COLUMNS = ("index", "arch", "params_m", "val_acc_12ep", "test_acc_12ep", "val_acc_200ep", "test_acc_200ep")
DEFAULT_COST_S = 120.0  # the NB201 paper's 12,000 s random-search budget buys ~100 twelve-epoch queries


@lru_cache(maxsize=4)
def load_table(path: str | None = None) -> dict[str, np.ndarray]:
    """Column name -> numpy array (arch as str objects, accuracies in percent as in the file)."""
    p = Path(path) if path else data_dir("nb201") / TABLE_FILE
    if not p.is_file():
        raise NasxError(f"NAS-Bench-201 table not found at {p}")
    opener = gzip.open if p.suffix == ".gz" else open
    with opener(p, "rt", newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows or any(c not in rows[0] for c in COLUMNS):
        raise NasxError(f"{p} is not a NAS-Bench-201 table (needs columns {', '.join(COLUMNS)})")
    out = {"index": np.array([int(r["index"]) for r in rows], dtype=np.int64),
           "arch": np.array([r["arch"] for r in rows], dtype=object)}
    for c in COLUMNS[2:]:
        out[c] = np.array([float(r[c]) for r in rows], dtype=np.float64)
    return out


def normalize_arch(arch: str) -> str:
    """Accept the cell string with or without its outer '|'."""
    arch = arch.strip()
    return arch if arch.startswith("|") else f"|{arch}|"


class TabularEvaluator(Evaluator):
    """Look NAS-Bench-201 cells up in the bundled table; `table` is a path to another CSV(.gz)."""

    def __init__(self, table: str | None = None, cost_per_query_s: float = DEFAULT_COST_S):
        self.table = load_table(str(table) if table else None)
        self.cost_per_query_s = float(cost_per_query_s)
        self.row_of = {a: i for i, a in enumerate(self.table["arch"])}
        self.queries = 0

    def query_table(self) -> dict[str, np.ndarray]:
        """All columns as numpy arrays (for fast strategy benchmarks that simulate many searches)."""
        return self.table

    def row(self, candidate) -> int:
        arch = candidate
        if not isinstance(candidate, str):
            if getattr(candidate, "space", None) != "nb201":
                raise NasxError(f"TabularEvaluator takes NAS-Bench-201 cells, not a {type(candidate).__name__}"
                                f" of space {getattr(candidate, 'space', None)!r}")
            arch = candidate.data["arch"]
        i = self.row_of.get(normalize_arch(str(arch)))
        if i is None:
            raise NasxError(f"unknown NAS-Bench-201 cell {arch!r}")
        return i

    def evaluate(self, candidate, task=None, callback=None) -> Result:
        i = self.row(candidate)
        t = self.table
        self.queries += 1
        metrics = empty_metrics()
        metrics.update(
            val_acc=float(t["val_acc_12ep"][i]) / 100.0, test_acc_12ep=float(t["test_acc_12ep"][i]) / 100.0,
            val_acc_200ep=float(t["val_acc_200ep"][i]) / 100.0,
            test_acc_200ep=float(t["test_acc_200ep"][i]) / 100.0, params=round(float(t["params_m"][i]) * 1e6), device_seconds=self.cost_per_query_s, wall_seconds=0.0,
            epochs_done=12, index=int(t["index"][i]),
        )
        if callback is not None:
            report = {"epoch": 12, "val_acc": metrics["val_acc"], "val_loss": None, "train_loss": None,
                      "device_seconds": self.cost_per_query_s}
            try:
                if callback(12, report) is False:
                    return Result("stopped", "stopped by callback after epoch 12", metrics)
            except StopTrial as stop:
                return Result("stopped", str(stop) or "stopped by callback after epoch 12", metrics)
        return Result("ok", None, metrics)
