"""Reliability of nasx search on Ray: a killed driver resumed, a killed worker, a lost node."""

import os
import signal
import subprocess
import sys
import threading
import time

import pytest
from searchutil import journal, subprocess_env, write_config

ray = pytest.importorskip("ray")


def _nasx(*args, **kw):
    return subprocess.Popen([sys.executable, "-m", "nasx.cli", *map(str, args)], env=subprocess_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True, **kw)  # own process group: Ray's agents die with it


def _wait_for(cond, timeout, proc=None, poll=0.5):
    t0 = time.time()
    while time.time() - t0 < timeout:
        if cond():
            return True
        if proc is not None and proc.poll() is not None:
            return cond()
        time.sleep(poll)
    return False


def _kill_group(proc):
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(timeout=30)


def test_driver_sigkill_then_resume(tmp_path):
    run = tmp_path / "run"
    cfg = write_config(tmp_path, budget="10trials", strategy="tpe", epochs=2, cpus_per_trial=1)
    proc = _nasx("search", "--config", cfg, "--run-dir", run)
    try:
        assert _wait_for(lambda: (run / "journal.jsonl").exists() and len(journal(run)) >= 3, 240, proc), \
            proc.stdout.read() if proc.poll() is not None else "no trials in time"
    finally:
        _kill_group(proc)
    before = journal(run)
    assert 3 <= len(before) < 10
    assert f'"pid": {proc.pid},' in (run / "lock").read_text()  # the dead writer's lock, left behind
    res = _nasx("resume", run)
    out, _ = res.communicate(timeout=400)
    assert res.returncode == 0, out
    after = journal(run)
    assert after[: len(before)] == before  # every trial finished before the kill is kept as written
    assert len(after) == 10 and len({t["id"] for t in after}) == 10  # none lost, none counted twice
    assert "resuming" in out


def test_worker_killed_mid_trial(tmp_path):
    """A worker is SIGKILLed while it is early in a trial (its ops report their training forwards
    through a marker file), so the kill lands mid-trial: the trial is retried elsewhere and the run
    ends with every trial journaled once."""
    import yaml

    marks = tmp_path / "marks"
    marks.mkdir()
    space = tmp_path / "marked.yaml"  # slow ops that report their forwards
    space.write_text(yaml.safe_dump({"kind": "nb201", "ops": ["test_marked", "avg_pool_3x3"], "channels": 4,
                                     "cells_per_stage": 1}))
    run = tmp_path / "run"
    cfg = write_config(tmp_path, space=str(space), network={}, budget="4trials", epochs=3, cpus_per_trial=1,
                       max_failures=2)
    env = {**subprocess_env(), "NASX_PLUGINS": "nasx_faults", "NASX_TEST_MARKS": str(marks)}
    proc = subprocess.Popen([sys.executable, "-m", "nasx.cli", "search", "--config", cfg, "--run-dir", str(run)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    killed, killed_at = None, None
    try:
        def kill_a_worker_early_in_its_trial():
            nonlocal killed, killed_at
            for mark in marks.iterdir():
                if mark.suffix or not mark.read_text().strip().isdigit():
                    continue
                if 1 <= int(mark.read_text()) <= 3:  # 3 of 21 training forwards done: mid-trial
                    try:
                        os.kill(int(mark.name), signal.SIGKILL)
                    except ProcessLookupError:
                        continue
                    killed, killed_at = int(mark.name), time.time()
                    return True
            return False

        assert _wait_for(kill_a_worker_early_in_its_trial, 180, proc, poll=0.05), "no worker was early in a trial"
        out, _ = proc.communicate(timeout=400)
    finally:
        _kill_group(proc)
    assert proc.returncode == 0, out
    trials = journal(run)
    assert len(trials) == 4 and len({t["id"] for t in trials}) == 4
    assert all(t["status"] == "ok" for t in trials), [t["reason"] for t in trials]
    hit = [t for t in trials if t["started_at"] < killed_at < t["finished_at"]]
    assert hit, "no trial was running when the worker was killed"
    assert not any(t["worker"].endswith(f":{killed}") and t["finished_at"] > killed_at for t in trials)


def test_node_removed_mid_search(tmp_path):
    from ray.cluster_utils import Cluster

    from nasx.config import load_config
    from nasx.runs import RunDir
    from nasx.search import run_search

    if ray.is_initialized():
        ray.shutdown()
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1, "include_dashboard": False})
    worker = cluster.add_node(num_cpus=1)
    cluster.wait_for_nodes()
    run_path = tmp_path / "run"
    cfg = load_config(write_config(tmp_path, budget="6trials", epochs=2, cpus_per_trial=1, max_failures=3,
                                   address=cluster.address), {})
    run = RunDir.create(run_path, cfg.to_dict())
    removed = threading.Event()

    def remove_worker():
        if _wait_for(lambda: len(journal(run_path)) >= 1, 240):
            time.sleep(1)
            cluster.remove_node(worker)
            removed.set()

    th = threading.Thread(target=remove_worker, daemon=True)
    th.start()
    try:
        run_search(cfg, run)
    finally:
        th.join(timeout=5)
        ray.shutdown()
        cluster.shutdown()
    assert removed.is_set()
    trials = journal(run_path)
    assert len(trials) == 6 and sum(t["status"] == "ok" for t in trials) >= 5
    assert RunDir.open(run_path).meta()["status"] == "finished"
