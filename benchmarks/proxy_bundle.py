"""Write the proxy scores nasx ships for the bench: every NB201 cell of the bundled table, by index.

    .venv/bin/python benchmarks/proxy_bundle.py [--proxy synflow] [--table cifar10|cifar100|imagenet16-120]
        [--workers 0]

Computes what the cache lacks (`nasx.bench.table_scores`, the same settings `nasx bench nb201
--table NAME --prescreen` uses: the bundled table's classes and image size) and writes
nb201/proxy_<proxy>_classes<classes>[_<size>px].csv.gz (index,score), so a fresh install's first
pre-screened bench skips the one-off scoring of 15,625 networks.
"""

from __future__ import annotations

import argparse
import gzip
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a source checkout

from nasx import bench


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--proxy", default="synflow")
    ap.add_argument("--table", default="cifar10", choices=list(bench.TABLES))
    ap.add_argument("--workers", type=int, default=0)
    a = ap.parse_args()
    t0 = time.perf_counter()
    path, known = bench.resolve_table(a.table)
    r = bench.table_scores(a.proxy, path, known.classes, a.workers, image_size=known.image_size)
    t = bench.evaluator(path).table
    out = bench.bundle_path(a.proxy, known.classes, known.image_size)
    with gzip.GzipFile(out, "wb", mtime=0) as f:  # byte-identical for the same scores
        f.write(b"index,score\n")
        for i, arch in zip(t["index"], t["arch"]):
            f.write(f"{int(i)},{r['scores'][arch]:.6f}\n".encode())
    print(f"{out}: {len(t['arch'])} cells ({r['computed']} computed now in {r['seconds']:.0f} s, "
          f"{r['bundled']} from an earlier bundle); Spearman {r['spearman']:.3f}; {time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
