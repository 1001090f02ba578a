"""On-disk cache of proxy scores: one SQLite file, a row per (space, genotype hash, network
settings, data spec, proxy, seed, version). Proxies are deterministic for that key, so a score is
computed once per machine and shared by searches, resumes and benchmark runs.

Where: $NASX_CACHE_DIR/proxies.sqlite, else $XDG_CACHE_HOME/nasx/, else ~/.cache/nasx/.
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

VERSION = 1  # bump when a proxy's definition changes: old rows stop matching


def default_cache_path() -> Path:
    root = os.environ.get("NASX_CACHE_DIR")
    if root:
        return Path(root) / "proxies.sqlite"
    xdg = os.environ.get("XDG_CACHE_HOME")
    return Path(xdg or Path.home() / ".cache") / "nasx" / "proxies.sqlite"


def cache_key(space: str, genotype_hash: str, network: dict, data: str, proxy: str, seed: int) -> tuple:
    return (space, genotype_hash, json.dumps(network or {}, sort_keys=True, default=str), data, proxy,
            int(seed), VERSION)


class ProxyCache:
    """get/put by key; `path=None` keeps it in memory (tests, or an unwritable home)."""

    def __init__(self, path: str | Path | None = None):
        self.path = None if path is None else Path(path)
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(":memory:" if self.path is None else str(self.path), timeout=30)
        self.db.execute("CREATE TABLE IF NOT EXISTS scores (space TEXT, hash TEXT, network TEXT, data TEXT,"
                        " proxy TEXT, seed INTEGER, version INTEGER, score REAL, seconds REAL,"
                        " PRIMARY KEY (space, hash, network, data, proxy, seed, version))")
        self.db.commit()
        self.hits = self.misses = 0

    def get(self, key: tuple) -> float | None:
        row = self.db.execute("SELECT score FROM scores WHERE space=? AND hash=? AND network=? AND data=? "
                              "AND proxy=? AND seed=? AND version=?", key).fetchone()
        if row is None:
            self.misses += 1
            return None
        self.hits += 1
        return float(row[0]) if row[0] is not None else float("-inf")

    def put(self, key: tuple, score: float, seconds: float) -> None:
        self.put_many([(key, score, seconds)])

    def put_many(self, rows) -> None:
        self.db.executemany("INSERT OR REPLACE INTO scores VALUES (?,?,?,?,?,?,?,?,?)",
                            [(*k, None if s == float("-inf") else s, t) for k, s, t in rows])
        self.db.commit()

    def close(self) -> None:
        self.db.close()
