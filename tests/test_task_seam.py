"""The task seam: task kinds, metrics with directions, runners and plug-ins behind registries.

The end-to-end test registers a toy task kind from a plug-in file (tests/plugins/nasx_toy_task.py:
a regression judged by `val_mse`, lower is better) and runs the real command line on it: a search,
`nasx show` (table and JSON) and `nasx export`; every reader must rank by the kind's metric.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from searchutil import subprocess_env

from nasx.errors import ConfigError
from nasx.evaluate.outcome import Status, TrialOutcome
from nasx.evaluate.runners import RUNNERS, canonical, register_runner, trains_one_candidate
from nasx.metrics import METRICS, Metric, metric
from nasx.registry import DuplicateName, Registry
from nasx.tasks import TASK_KINDS, TaskKind, get_task_kind, register_task, unregister_task

ROOT = Path(__file__).resolve().parents[1]


def _nasx(*args, env=None, cwd=None):
    return subprocess.run([sys.executable, "-m", "nasx.cli", *map(str, args)], capture_output=True, text=True,
                          env=env or subprocess_env(), cwd=cwd, timeout=600, check=False)


def test_registry_one_rule_for_names():
    r = Registry("widget")
    r.add("a", 1, origin="mod.one")
    with pytest.raises(DuplicateName, match=r"mod\.two: widget 'a' is already registered by mod\.one"):
        r.add("a", 2, origin="mod.two")
    assert r["a"] == 1 and list(r) == ["a"]
    with pytest.raises(ConfigError, match=r"unknown widget 'b'.*known: a"):
        r.get_or_error("b")


def test_image_classification_is_the_default_kind():
    kind = get_task_kind(None)
    assert kind.name == "image-classification" and kind.objective == "val_acc" and kind.held_out == "test_acc"
    assert metric("val_acc").direction == "max" and metric("params").direction == "min"
    assert kind.runner in RUNNERS and trains_one_candidate({}) and not trains_one_candidate({"runner": "enas"})


def test_runner_names_from_older_journals_still_resolve():
    assert canonical("nasx.execute.trial:train_trial") == canonical(None) == "train"
    assert canonical("nasx.enas.runner:run_enas") == "enas"
    with pytest.raises(ConfigError, match="unknown trial runner"):
        canonical("os:system")


def test_bad_task_kinds_are_refused_naming_the_plugin():
    good = {"name": "t-kind", "metrics": (Metric("t_score", "max"),), "objective": "t_score",
            "held_out": "t_score", "runner": "train"}
    with pytest.raises(ConfigError, match="direction must be max or min"):
        Metric("t_loss", "down")
    with pytest.raises(ConfigError, match=r"myplugin: task kind 't-kind': its objective 'nope' is none"):
        register_task(TaskKind(**{**good, "objective": "nope"}), origin="myplugin")
    with pytest.raises(ConfigError, match=r"myplugin: task kind 'image-classification' is already registered"):
        register_task(TaskKind(**{**good, "name": "image-classification"}), origin="myplugin")
    with pytest.raises(ConfigError, match=r"myplugin: .*metric 'val_acc' is already registered"):
        register_task(TaskKind(**{**good, "metrics": (Metric("val_acc", "max"),), "objective": "val_acc",
                                  "held_out": "val_acc"}), origin="myplugin")
    assert "t-kind" not in TASK_KINDS and "t_score" not in METRICS  # a refused kind leaves nothing behind
    try:
        kind = register_task(TaskKind(**good), origin="myplugin")
        with pytest.raises(ConfigError, match=r"myplugin: task kind 't-kind' reports no metric 'val_acc'"):
            kind.metric("val_acc")
    finally:
        unregister_task("t-kind")
    with pytest.raises(DuplicateName, match="trial runner 'train' is already registered"):
        register_runner("train")(lambda spec, report=None: None)


def test_outcome_round_trips_and_computes_device_seconds_once():
    out = TrialOutcome("ok", None, {"val_acc": 0.5}, wall_seconds=10.0, cpus=2.0, gpus=0.0)
    assert out.status is Status.OK and out.device_seconds == 20.0
    back = TrialOutcome.from_dict(json.loads(json.dumps(out.to_dict())))
    assert back == out and back.to_dict()["device_seconds"] == 20.0
    assert TrialOutcome("ok", wall_seconds=10.0, cpus=2.0, gpus=0.5).device_seconds == 5.0
    with pytest.raises(ConfigError, match="unknown status 'great'"):
        TrialOutcome("great")


def test_search_objective_must_be_a_metric_of_the_kind():
    from nasx.config import load_config

    with pytest.raises(ConfigError, match="reports no metric 'val_mse'"):
        load_config(None, {"objectives": "val_mse"})
    with pytest.raises(ConfigError, match="must start with one of task kind 'image-classification'"):
        load_config(None, {"objectives": "params"})
    with pytest.raises(ConfigError, match="unknown task kind 'audio'"):
        load_config(None, {"task_kind": "audio"})


def test_a_plugin_with_a_taken_name_is_one_line_exit_2(tmp_path):
    (tmp_path / "dup_plugin.py").write_text(
        "from nasx.evaluate.runners import register_runner\n\n"
        "@register_runner('enas')\ndef mine(spec, report=None):\n    return None\n")
    env = subprocess_env()
    env["PYTHONPATH"] = f"{tmp_path}:{env['PYTHONPATH']}"
    env["NASX_PLUGINS"] = "dup_plugin"
    r = _nasx("spaces", env=env)
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "dup_plugin" in lines[0] and "'enas' is already registered by nasx.enas.runner" \
        in lines[0], r.stderr


def test_toy_task_kind_from_a_plugin_searches_shows_and_exports(tmp_path):
    env = subprocess_env()
    env["NASX_PLUGINS"] = "nasx_toy_task"
    cfg = {"space": "nb201", "strategy": "evolution", "budget": "4trials", "epochs": 2, "executor": "inprocess",
           "dashboard": False, "task_kind": "toy-regression", "network": {"channels": 4, "cells_per_stage": 1},
           "task": {"latency": False}}
    (tmp_path / "toy.yaml").write_text(yaml.safe_dump(cfg))
    run = tmp_path / "run"
    r = _nasx("search", "--config", tmp_path / "toy.yaml", "--run-dir", run, env=env, cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    trials = [json.loads(line) for line in (run / "journal.jsonl").read_text().splitlines()]
    assert len(trials) == 4 and all(t["status"] == "ok" and "val_mse" in t["metrics"] for t in trials)
    assert all("val_acc" not in t["metrics"] for t in trials)

    r = _nasx("show", run, "--json", env=env)
    assert r.returncode == 0, r.stderr
    s = json.loads(r.stdout)
    assert {t["id"] for t in s["trials"]} == {t["id"] for t in trials}
    mses = sorted(t["metrics"]["val_mse"] for t in trials)
    lines = (run / "leaderboard.csv").read_text().splitlines()
    assert lines[0].split(",")[:4] == ["rank", "id", "val_mse", "test_mse"]
    ranked = [float(line.split(",")[2]) for line in lines[1:]]
    assert ranked == pytest.approx(mses)  # best first = lowest first, as the kind's direction says

    r = _nasx("show", run, env=env)
    assert r.returncode == 0 and "val_mse" in r.stdout and "best" not in r.stderr, r.stdout + r.stderr
    assert (run / "plots" / "progress.png").stat().st_size > 0

    out = tmp_path / "export"
    r = _nasx("export", run, "--out", out, env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    meta = json.loads((out / "metrics.json").read_text())
    best = min(trials, key=lambda t: t["metrics"]["val_mse"])
    assert meta.get("trial") == best["id"] or best["id"] in json.dumps(meta), meta
    code = ("import sys, torch; sys.path.insert(0, sys.argv[1]); from model import build; "
            "net = build(); net.load_state_dict(torch.load(sys.argv[1] + '/weights.pt', weights_only=True)); "
            "net.eval(); print(tuple(net(torch.rand(3, 1, 8, 8)).shape))")
    r = subprocess.run([sys.executable, "-c", code, str(out)], capture_output=True, text=True, timeout=120,
                       check=False)
    assert r.returncode == 0 and r.stdout.strip() == "(3, 1)", r.stdout + r.stderr
