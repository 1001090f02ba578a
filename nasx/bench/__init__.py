"""The strategy benchmark on a tabular benchmark (NAS-Bench-201): many seeded searches per strategy,
each query a table lookup (`protocol`), on a bundled or given table (`tables`), optionally
pre-screened by a zero-cost proxy (`proxy_scores`), in worker processes (`pool`), summarized
(`summary`) and drawn (`plot`).

    from nasx import bench
    traces, seconds = bench.run_bench("nb201", ["random", "evolution"], seeds=10, queries=100)
    bench.summarize_traces(traces, target=94.0)["random"]["at"]["100"]   # {"mean": ..., "std": ...}
"""

from .plot import plot_traces
from .pool import MIN_POOL_JOBS, auto_workers, process_pool
from .protocol import run_bench, run_table_search, tabular_runner, timed_search
from .proxy_scores import PROXY_SEED, bundle_path, ranked_last, table_scores
from .summary import CHECKPOINTS, checkpoints, summarize_traces
from .tables import (
    BENCHMARKS,
    IMAGE_SIZE,
    TABLES,
    Benchmark,
    BundledTable,
    Table,
    evaluator,
    load_bench_table,
    resolve_table,
)

__all__ = [
    "BENCHMARKS", "CHECKPOINTS", "IMAGE_SIZE", "MIN_POOL_JOBS", "PROXY_SEED", "TABLES", "Benchmark", "BundledTable",
    "Table", "auto_workers", "bundle_path", "checkpoints", "evaluator", "load_bench_table", "plot_traces",
    "process_pool", "ranked_last", "resolve_table", "run_bench", "run_table_search", "summarize_traces",
    "table_scores", "tabular_runner", "timed_search",
]
