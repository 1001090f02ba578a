"""The catalogue: the tables that ship with nasx (`TABLES`), the benchmarks run on them
(`BENCHMARKS`), and a judged view of a table (`load_bench_table`).

Light on purpose (no numpy, no torch at import), so the command line can list the bundled tables
in its help text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from ..errors import NasxError

IMAGE_SIZE = 32  # NAS-Bench-201's CIFAR images (ImageNet16-120: 16)


@dataclass(frozen=True)
class BundledTable:
    """A table that ships with nasx, by name: its file and its data set's classes and image size."""

    file: str
    classes: int
    image_size: int
    target: float | None = None  # default --target (None: half a point under the table's optimum)


TABLES: dict[str, BundledTable] = {
    "cifar10": BundledTable("nb201/nb201_cifar10.csv.gz", 10, 32, 94.0),
    "cifar100": BundledTable("nb201/nb201_cifar100_12ep.csv.gz", 100, 32),
    "imagenet16-120": BundledTable("nb201/nb201_imagenet16_120_12ep.csv.gz", 120, 16),
}


def resolve_table(table: str | None) -> tuple[str | None, BundledTable | None]:
    """(path or None for the default, the bundled entry if `table` names one) for --table NAME|PATH."""
    from .._data import data_dir

    if table is None or table == "cifar10":
        return None, TABLES["cifar10"]
    if table in TABLES:
        folder, name = TABLES[table].file.split("/")
        return str(data_dir(folder) / name), TABLES[table]
    if not Path(table).exists() and "/" not in table and "." not in table:
        import difflib

        close = difflib.get_close_matches(table, TABLES, n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        raise NasxError(f"--table {table!r} is neither a file nor a bundled table{hint}; "
                        f"bundled: {', '.join(TABLES)}")
    return table, None


@dataclass(frozen=True)
class Benchmark:
    space: str
    default_table: str  # relative to the package data folder
    target: float       # test accuracy (%) whose queries-to-reach is reported
    # per-strategy constructor options for this benchmark's budget (tuned here, not in the strategies)
    options: dict = field(default_factory=dict)


BENCHMARKS: dict[str, Benchmark] = {
    "nb201": Benchmark("nb201", "nb201/nb201_cifar10.csv.gz", 94.0, {
        "evolution": {"population": 20, "sample_size": 10},
        "pnas": {"beam": 10, "first_stage": 10, "explore": 0.1, "surrogate": "mlp_ensemble", "kappa": 0.5},
    }),
}


@dataclass
class Table:
    """A view of the tabular evaluator's table: arch -> accuracy (%)."""

    path: str
    val: dict[str, float]   # arch -> val_acc_12ep (%)
    test: dict[str, float]  # arch -> the judged test accuracy (%)
    judge: str = "test_acc_200ep"  # the column `test` holds

    @property
    def optimum(self) -> float:
        return max(self.test.values())


@lru_cache(maxsize=4)
def evaluator(table: str | None = None):
    """The tabular evaluator of `table` (the bundled CIFAR-10 table when None); one per process."""
    from ..evaluate.tabular import TabularEvaluator

    return TabularEvaluator(table)


def load_bench_table(benchmark: str, path: str | None = None) -> Table:
    """Read (and check) a table with columns arch, val_acc_12ep and test_acc_200ep (or
    test_acc_12ep) as the benchmark judges it; NasxError otherwise. (The raw columns are
    `nasx.evaluate.tabular.load_table`.)"""
    if benchmark not in BENCHMARKS:
        raise NasxError(f"unknown benchmark {benchmark!r}; choose from {', '.join(BENCHMARKS)}")
    ev = evaluator(None if path is None else str(path))
    t = ev.table
    return Table(ev.path, dict(zip(t["arch"], t["val_acc_12ep"].tolist())),
                 dict(zip(t["arch"], t[ev.judge].tolist())), ev.judge)
