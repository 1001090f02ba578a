"""nasx search on a local Ray: parallel trials, fractional GPUs declared on a CPU machine,
budget accounting, and candidates that fail inside Ray workers."""

import os
import sys

import pytest
from searchutil import PLUGINS, journal, max_overlap, write_config

ray = pytest.importorskip("ray")


@pytest.fixture(scope="module")
def local_ray():
    # Workers inherit the environment: they import the fault-injection plugin too.
    old = {k: os.environ.get(k) for k in ("PYTHONPATH", "NASX_PLUGINS")}
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [PLUGINS, old["PYTHONPATH"]]))
    os.environ["NASX_PLUGINS"] = "nasx_faults"
    sys.path.insert(0, PLUGINS)
    ray.init(num_cpus=2, num_gpus=4, include_dashboard=False, configure_logging=False, log_to_driver=False)
    yield
    ray.shutdown()
    for k, v in old.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


def test_fractional_gpus_run_trials_at_once_and_budget_holds(local_ray, run_cli, tmp_path):
    """4 logical GPUs, 0.5 GPU + 0.25 CPU per trial: up to 8 trials at once (how many overlap on a
    2-core machine is timing: more than one must); GPU-seconds accounted."""
    budget_s = 0.01 * 3600  # 36 GPU-seconds: 0.03 ran 349 trials of ~0.5 s, 0.01 still runs many waves
    cfg = write_config(tmp_path, budget="0.01gpu-h", gpus_per_trial=0.5, cpus_per_trial=0.25, epochs=1)
    run = tmp_path / "run"
    rc, _out, err = run_cli("search", "--config", cfg, "--run-dir", run)
    assert rc == 0, err
    trials = journal(run)
    assert 1 < max_overlap(trials) <= 8  # fractional GPUs let trials share; never more than the slots
    assert all(t["meta"]["gpus"] == 0.5 for t in trials)
    for t in trials:  # device-seconds = wall x GPUs held
        assert t["device_seconds"] == pytest.approx(t["wall_seconds"] * 0.5)
    spent = sum(t["device_seconds"] for t in trials)
    biggest = max(t["device_seconds"] for t in trials)
    assert len(trials) > 8, len(trials)  # more than the first wave ran
    assert spent <= budget_s + 2 * biggest, (spent, budget_s, biggest)
    from nasx.runs import RunDir

    meta = RunDir.open(run).meta()
    assert meta["spent"]["gpu_seconds"] == pytest.approx(spent)
    assert meta["status"] == "finished"


def test_candidate_failures_inside_ray_workers(local_ray, run_cli, tmp_path):
    import yaml

    cell = "|{0}~0|+|{0}~0|{0}~1|+|{0}~0|{0}~1|{0}~2|"
    seeds = {n: {"arch": cell.format(op)} for n, op in
             [("explode", "test_explode"), ("nan", "test_nan"), ("oom", "test_oom"), ("fine", "nor_conv_1x1")]}
    space = tmp_path / "faulty.yaml"
    space.write_text(yaml.safe_dump({"kind": "nb201", "ops": ["test_explode", "test_nan", "test_oom", "nor_conv_1x1"],
                                     "channels": 4, "cells_per_stage": 1, "seeds": seeds}))
    from nasx.plugins import load_plugins

    load_plugins()
    cfg = write_config(tmp_path, space=str(space), budget="6trials", network={}, gpus_per_trial=0,
                       cpus_per_trial=1, seed_arch=["explode", "nan", "oom", "fine"], strategy="tpe")
    rc, _, err = run_cli("search", "--config", cfg, "--run-dir", tmp_path / "run")
    assert rc == 0, err
    trials = journal(tmp_path / "run")
    assert len(trials) == 6
    by_arch = {t["genotype"]["arch"]: t for t in trials}
    assert "explode op" in by_arch[cell.format("test_explode")]["reason"]
    assert "diverged" in by_arch[cell.format("test_nan")]["reason"]
    assert by_arch[cell.format("test_oom")]["reason"] == "out of memory"
    assert by_arch[cell.format("nor_conv_1x1")]["status"] == "ok"
    assert max_overlap(trials) > 1  # 2 CPUs, 1 CPU per trial: trials do run in parallel


def test_asha_stops_weak_trials_early(local_ray, run_cli, tmp_path):
    cfg = write_config(tmp_path, budget="12trials", epochs=3, asha=True, asha_grace=1, cpus_per_trial=1,
                       gpus_per_trial=0, seed=3)
    rc, _, err = run_cli("search", "--config", cfg, "--run-dir", tmp_path / "run")
    assert rc == 0, err
    trials = journal(tmp_path / "run")
    assert len(trials) == 12
    stopped = [t for t in trials if t["status"] == "stopped"]
    assert stopped, [t["status"] for t in trials]
    assert all(t["metrics"]["epochs_done"] < 3 and "ASHA" in t["reason"] for t in stopped)
    assert all(t["metrics"]["epochs_done"] == 3 for t in trials if t["status"] == "ok")
