"""NAS-Bench-201 as an evaluator: a table lookup instead of training. The one reader of such tables.

The bundled tables (nb201/, see its README for provenance) hold all 15,625 cells: CIFAR-10 with
12- and 200-epoch accuracies (the default), CIFAR-100 and ImageNet16-120 with 12-epoch ones. A table
needs the columns arch, val_acc_12ep and a test column, test_acc_200ep or else test_acc_12ep (index,
params_m, val_acc_200ep are optional), so tables of other data sets of the same format work too. A
search reads `val_acc` = the 12-epoch validation accuracy (the benchmark's cheap signal) and is
judged by the table's test column (`judge_column`); each query "costs" cost_per_query_s simulated
device-seconds so that strategies can be compared under a time budget.
"""

from __future__ import annotations

import csv
import gzip
import math
from functools import lru_cache
from pathlib import Path

import numpy as np

from .._data import data_dir
from ..errors import NasxError
from .evaluator import Evaluator
from .result import Result, StopTrial, empty_metrics

TABLE_FILE = "nb201_cifar10.csv.gz"
REQUIRED = ("arch", "val_acc_12ep")
JUDGE_COLUMNS = ("test_acc_200ep", "test_acc_12ep")  # the first one a table has judges the pick
OPTIONAL = ("params_m", "test_acc_12ep", "val_acc_200ep", "test_acc_200ep")
COLUMNS = ("index", "arch", "params_m", "val_acc_12ep", "test_acc_12ep", "val_acc_200ep", "test_acc_200ep")
DEFAULT_COST_S = 120.0  # the NB201 paper's 12,000 s random-search budget buys ~100 twelve-epoch queries


def default_table_path() -> Path:
    return data_dir("nb201") / TABLE_FILE


@lru_cache(maxsize=4)
def load_table(path: str | None = None) -> dict[str, np.ndarray]:
    """Column name -> numpy array (arch: canonical cell strings; accuracies in percent as in the
    file; optional columns NaN where absent). A one-line NasxError for a missing or malformed file."""
    from ..spaces import get_space

    p = Path(path) if path else default_table_path()
    if not p.is_file():
        raise NasxError(f"benchmark table {p} does not exist" if not p.exists() else f"{p} is not a file")
    space = get_space("nb201")
    cols: dict[str, list] = {c: [] for c in COLUMNS}
    try:
        with (gzip.open if p.suffix == ".gz" else open)(p, "rt", newline="") as f:
            reader = csv.DictReader(f)
            names = reader.fieldnames or []
            missing = [c for c in REQUIRED if c not in names]
            if not any(c in names for c in JUDGE_COLUMNS):
                missing.append(" or ".join(JUDGE_COLUMNS))
            if missing:
                raise NasxError(f"{p} is not a benchmark table: missing column(s) {', '.join(missing)} "
                                f"(needs arch, val_acc_12ep and {' or '.join(JUDGE_COLUMNS)})")
            judge = next(c for c in JUDGE_COLUMNS if c in names)
            for n, row in enumerate(reader, start=2):
                try:
                    arch = space.from_string(row["arch"] or "").data["arch"]
                    vals = {c: float(row[c]) if c in names and row[c] not in (None, "") else math.nan
                            for c in (*REQUIRED[1:], *OPTIONAL)}
                    index = int(row["index"]) if "index" in names else n - 2
                except (NasxError, TypeError, ValueError) as exc:
                    raise NasxError(f"{p} line {n}: malformed row ({str(exc).splitlines()[0] or 'bad value'})") from None
                if not all(math.isfinite(vals[c]) for c in (*REQUIRED[1:], judge)):
                    raise NasxError(f"{p} line {n}: accuracies must be finite numbers")
                cols["arch"].append(arch)
                cols["index"].append(index)
                for c, v in vals.items():
                    cols[c].append(v)
    except (OSError, UnicodeDecodeError, csv.Error, EOFError) as exc:
        raise NasxError(f"cannot read benchmark table {p}: {exc}") from None
    if not cols["arch"]:
        raise NasxError(f"{p} has no rows")
    out = {"index": np.array(cols["index"], dtype=np.int64), "arch": np.array(cols["arch"], dtype=object),
           "judge": np.array(judge, dtype=object)}  # the name of the test column that judges a pick
    for c in COLUMNS[2:]:
        out[c] = np.array(cols[c], dtype=np.float64)
    return out


def normalize_arch(arch: str) -> str:
    """Accept the cell string with or without its outer '|'."""
    arch = arch.strip()
    return arch if arch.startswith("|") else f"|{arch}|"


def _pct(x: float) -> float | None:
    return None if not math.isfinite(x) else float(x) / 100.0


class TabularEvaluator(Evaluator):
    """Look NAS-Bench-201 cells up in the bundled table; `table` is a path to another CSV(.gz)."""

    def __init__(self, table: str | None = None, cost_per_query_s: float = DEFAULT_COST_S):
        self.path = str(table) if table else str(default_table_path())
        self.table = load_table(str(table) if table else None)
        self.cost_per_query_s = float(cost_per_query_s)
        self.row_of = {a: i for i, a in enumerate(self.table["arch"])}
        self.queries = 0

    def query_table(self) -> dict[str, np.ndarray]:
        """All columns as numpy arrays (for fast strategy benchmarks that simulate many searches)."""
        return self.table

    @property
    def judge(self) -> str:
        """The test column that judges a pick: test_acc_200ep, or test_acc_12ep where a table has no other."""
        return str(self.table["judge"])

    @property
    def optimum(self) -> float:
        """The best judged test accuracy (%) in the table."""
        return float(self.table[self.judge].max())

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
        params = t["params_m"][i]
        metrics.update(
            val_acc=_pct(t["val_acc_12ep"][i]), test_acc_12ep=_pct(t["test_acc_12ep"][i]),
            val_acc_200ep=_pct(t["val_acc_200ep"][i]), test_acc_200ep=_pct(t["test_acc_200ep"][i]),
            params=round(float(params) * 1e6) if math.isfinite(params) else None,
            device_seconds=self.cost_per_query_s, wall_seconds=0.0, epochs_done=12, index=int(t["index"][i]),
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
