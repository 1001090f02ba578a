"""Helpers for the search tests: tiny, fast search configs and journal checks."""

import json
import os
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
PLUGINS = str(ROOT / "tests" / "plugins")

TINY = {
    "space": "nb201", "strategy": "random", "data": "digits", "epochs": 1, "dashboard": False,
    "network": {"channels": 4, "cells_per_stage": 1},
    "task": {"latency": False, "max_train": 400, "batch_size": 64},
}


def write_config(tmp_path, **over) -> str:
    cfg = {**TINY, **over}
    p = Path(tmp_path) / "cfg.yaml"
    p.write_text(yaml.safe_dump(cfg))
    return str(p)


def journal(run_dir) -> list[dict]:
    out = []
    for line in (Path(run_dir) / "journal.jsonl").read_text().splitlines():
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            pass
    return [r for r in out if r.get("event") == "trial"]


def max_overlap(trials) -> int:
    events = sorted([(t["started_at"], 1) for t in trials] + [(t["finished_at"], -1) for t in trials],
                    key=lambda e: (e[0], e[1]))
    cur = best = 0
    for _, d in events:
        cur += d
        best = max(best, cur)
    return best


def subprocess_env() -> dict:
    env = dict(os.environ)
    env["RAY_AUTH_MODE"] = "disabled"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [PLUGINS, env.get("PYTHONPATH")]))
    return env
