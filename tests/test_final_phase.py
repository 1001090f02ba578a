"""The final phase (#26): the top K found architectures and every baseline retrained from scratch
under one protocol and S seeds as journaled trials; the verdict; export of the winner's final
weights; resume / finalize after Ctrl-C or a kill with nothing trained twice; constraints checked
before training; the final phase's cost reserved from the search budget."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from searchutil import subprocess_env, write_config

from nasx.config import load_config
from nasx.execute.driver import FINISHED, SearchDriver
from nasx.final.verdict import rank_transfer, verdict
from nasx.runs import RunDir


def final_lines(run_dir) -> list[dict]:
    out = []
    for line in (Path(run_dir) / "journal.jsonl").read_text().splitlines():
        try:
            r = json.loads(line)
        except json.JSONDecodeError:
            continue
        if r.get("event") == "final":
            out.append(r)
    return out


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    """A real in-process search on digits (4 trials) with a final phase: top 2 + lenet5, 2 seeds,
    ORT latency measured (task latency on)."""
    from nasx.cli import main

    tmp = tmp_path_factory.mktemp("final")
    cfg = write_config(tmp, executor="inprocess", budget="4trials", baselines=["lenet5"],
                       task={"latency": True, "max_train": 400, "batch_size": 64},
                       final={"top": 2, "epochs": 2, "seeds": 2})
    rc = main(["search", "--config", cfg, "--run-dir", str(tmp / "run")])
    assert rc == 0
    return tmp / "run"


def test_final_phase_trains_top_k_and_baselines_under_one_protocol(finished_run):
    lines = final_lines(finished_run)
    assert len(lines) == (2 + 1) * 2  # (top 2 + 1 baseline) x 2 seeds, each once
    assert len({r["id"] for r in lines}) == len(lines)
    assert all(r["status"] == "ok" and r["epochs"] == 2 for r in lines)
    assert all(r["metrics"]["epochs_done"] == 2 for r in lines)
    assert sorted({r["seed"] for r in lines}) == [0, 1]
    run = RunDir(finished_run)
    board = [t for t in run.leaderboard()]
    found = {r["name"] for r in lines if r["kind"] == "found"}
    assert found == {board[0].trial_id, board[1].trial_id}  # the search's top 2 by val_acc
    for r in lines:
        if r["kind"] == "found":  # the same architecture as the search trial, retrained from scratch
            src = run.trial(r["name"])
            assert r["genotype"] == src.genotype.to_dict()
            assert r["metrics"]["params"] == src.metrics["params"]
            assert r["weights"] and (finished_run / r["weights"]).is_file()
        assert r["metrics"]["latency_runtime"] == "ort" and r["metrics"]["latency_ms"] > 0
    # search trials never see final lines: the strategy's journal replay and leaderboard are unchanged
    assert all(not t.trial_id.startswith("final-") for t in run.trials())


def test_show_json_carries_final_rows_and_verdict(finished_run, run_cli):
    rc, out, _ = run_cli("show", finished_run, "--json")
    assert rc == 0
    final = json.loads(out)["final"]
    rows = final["rows"]
    assert {r["kind"] for r in rows} == {"found", "baseline"} and len(rows) == 3
    for r in rows:
        for key in ("kind", "name", "epochs", "seeds", "test_acc_mean", "test_acc_std", "params", "latency_ms"):
            assert key in r
        assert r["seeds"] == 2 and r["epochs"] == 2
    accs = {r["name"]: [x["metrics"]["test_acc"] for x in final_lines(finished_run) if x["name"] == r["name"]]
            for r in rows}
    for r in rows:
        assert r["test_acc_mean"] == pytest.approx(sum(accs[r["name"]]) / 2)
    v = final["verdict"]
    for key in ("winner", "baseline", "beats", "delta_test"):
        assert key in v
    best_found = max((r for r in rows if r["kind"] == "found"), key=lambda r: r["val_acc_mean"])
    base = next(r for r in rows if r["kind"] == "baseline")
    assert v["winner"] == best_found["name"] and v["baseline"] == "lenet5"
    assert v["delta_test"] == pytest.approx(best_found["test_acc_mean"] - base["test_acc_mean"])
    assert v["beats"] == (v["delta_test"] > 0)
    rc, out, _ = run_cli("show", finished_run)
    assert "verdict:" in out and "final phase" in out
    assert (finished_run / "final.json").is_file() and (finished_run / "plots" / "pareto.png").is_file()


def test_export_takes_the_winners_final_weights(finished_run, run_cli, tmp_path):
    rc, _out, err = run_cli("export", finished_run, "--out", tmp_path / "ex", "--no-check")
    assert rc == 0, err
    m = json.loads((tmp_path / "ex" / "metrics.json").read_text())
    v = json.loads((finished_run / "final.json").read_text())["verdict"]
    assert m["source"]["weights_from"] == "final" and m["source"]["trial"] == v["winner_id"]
    ours = torch.load(tmp_path / "ex" / "weights.pt", weights_only=True)
    theirs = torch.load(finished_run / "trials" / v["winner_id"] / "weights.pt", weights_only=True)
    assert all(torch.equal(ours[k], theirs[k]) for k in theirs)
    rc, _, err = run_cli("export", finished_run, "--rank", "1", "--out", tmp_path / "ex2", "--no-check")
    assert rc == 0, err  # the search-phase weights stay reachable
    assert json.loads((tmp_path / "ex2" / "metrics.json").read_text())["source"]["weights_from"] == "search"


def test_finalize_extends_seeds_without_training_anything_twice(finished_run, run_cli, tmp_path):
    import shutil

    run = tmp_path / "copy"
    shutil.copytree(finished_run, run)
    before = final_lines(run)
    rc, _out, err = run_cli("finalize", run, "--seeds", "3")
    assert rc == 0, err
    after = final_lines(run)
    assert len(after) == 9 and len({r["id"] for r in after}) == 9
    assert after[:6] == before  # the journaled trainings are untouched
    assert {r["seed"] for r in after[6:]} == {2}


def test_finalize_bad_input_is_one_line_and_writes_nothing(run_cli, tmp_path, finished_run):
    rc, _, err = run_cli("finalize", tmp_path)
    assert rc == 2 and "not a nasx run directory" in err and len(err.strip().splitlines()) == 1
    before = (finished_run / "journal.jsonl").read_text()
    cfg_before = (finished_run / "config.yaml").read_text()
    rc, _, err = run_cli("finalize", finished_run, "--top", "0")
    assert rc == 2 and "--top" in err
    rc, _, err = run_cli("finalize", finished_run, "--seeds", "0")
    assert rc == 2 and "seeds" in err
    assert (finished_run / "journal.jsonl").read_text() == before
    assert (finished_run / "config.yaml").read_text() == cfg_before


@pytest.mark.parametrize("flags,words", [
    (["--final-top", "0", "--final-seeds", "2"], "final-top"),
    (["--final-top", "2", "--final-epochs", "0"], "final-epochs"),
    (["--max-latency-ms", "0"], "max-latency-ms"),
    (["--max-params", "-5"], "max-params"),
    (["--latency-runtime", "tvm"], "latency-runtime"),
    (["--final-top", "2", "--final-budget", "5trials"], "final-budget"),
])
def test_search_bad_final_or_constraint_flags(run_cli, tmp_path, flags, words):
    rc, _, err = run_cli("search", "--executor", "inprocess", "--run-dir", tmp_path / "r", *flags)
    assert rc == 2 and words in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "r").exists()


def test_gpus_asked_of_a_cpu_only_cluster_leave_nothing_behind(run_cli, tmp_path):
    if torch.cuda.is_available():
        pytest.skip("needs a machine without a GPU")
    rc, _, err = run_cli("search", "--executor", "inprocess", "--gpus-per-trial", "1", "--run-dir", tmp_path / "r")
    assert rc == 2 and "--gpus-per-trial" in err
    assert not (tmp_path / "r").exists()


def test_constraints_reject_before_training_and_the_search_goes_on(run_cli, tmp_path):
    cfg = write_config(tmp_path, executor="inprocess", budget="10trials", network={"channels": 8, "cells_per_stage": 1})
    limit = 35_000  # nb201 at C=8, one cell per stage: cells range from ~20K to ~57K params
    rc, _out, err = run_cli("search", "--config", cfg, "--run-dir", tmp_path / "r", "--max-params", limit)
    assert rc == 0, err
    trials = RunDir(tmp_path / "r").trials()
    rejected = [t for t in trials if t.status == "rejected"]
    ok = [t for t in trials if t.status == "ok"]
    assert rejected and ok, [(t.status, t.metrics.get("params")) for t in trials]
    for t in rejected:
        assert t.metrics["params"] > limit and "params" in t.reason and "limit" in t.reason
        assert t.weights is None and not t.metrics.get("epochs_done")
    assert all(t.metrics["params"] <= limit for t in ok)


def test_nothing_feasible_stops_the_search_with_a_reason(run_cli, tmp_path):
    cfg = write_config(tmp_path, executor="inprocess", budget="60trials")
    rc, _out, err = run_cli("search", "--config", cfg, "--run-dir", tmp_path / "r", "--max-macs", 1)
    assert rc == 0, err
    run = RunDir(tmp_path / "r")
    trials = run.trials()
    assert len(trials) == 25 and all(t.status == "rejected" for t in trials)
    assert "nothing feasible" in run.meta()["stop_reason"]


def test_final_cost_is_reserved_from_the_search_budget(finished_run):
    """The same journal and a cpu budget that leaves room for more trials but not for the final
    phase's estimate: without a final phase the driver launches another trial; with one, it stops
    and says the final phase is reserved. (The budget is set from the estimate, never from a
    timing guess, so a fast or slow machine gives the same answer.)"""
    run = RunDir(finished_run)
    spent = sum(t.device_seconds for t in run.trials())
    heavy_final = {"top": 2, "epochs": 50, "seeds": 3}
    base = dict(run.config(), executor="inprocess")
    probe = SearchDriver(load_config(None, {**base, "budget": "1000cpu-h", "final": heavy_final}), run, 0.0)
    per_epoch = [t.wall_seconds / t.metrics["epochs_done"] for t in run.trials() if t.status == "ok"]
    reserve = probe.final_reserve()
    assert reserve == pytest.approx(sum(per_epoch) / len(per_epoch) * 50 * (2 + 1) * 3)
    budget = f"{int(spent + reserve / 2) + 1}cpu-s"  # room for a trial (~1/450 of it), not the phase
    d = SearchDriver(load_config(None, {**base, "budget": budget, "final": {}}), run, 0.0)
    assert d.next_spec() not in (FINISHED, None) and d.final_reserve() == 0
    d = SearchDriver(load_config(None, {**base, "budget": budget, "final": heavy_final}), run, 0.0)
    assert d.next_spec() == FINISHED and "final phase" in d.stats.stop_reason


def test_verdict_arithmetic_and_rank_transfer():
    rows = [
        {"kind": "found", "name": "a", "val_acc_mean": 0.9, "test_acc_mean": 0.88, "test_acc_std": 0.01, "seeds": 2,
         "params": 50, "latency_ms": 0.2, "best_id": "fa", "search_rank": 2},
        {"kind": "found", "name": "b", "val_acc_mean": 0.8, "test_acc_mean": 0.95, "test_acc_std": 0.0, "seeds": 2,
         "params": 50, "latency_ms": 0.2, "best_id": "fb", "search_rank": 1},
        {"kind": "baseline", "name": "z", "val_acc_mean": 0.85, "test_acc_mean": 0.9, "test_acc_std": 0.02,
         "seeds": 2, "params": 100, "latency_ms": 0.1, "best_id": "fz", "search_rank": None},
    ]
    v = verdict(rows)
    # the winner is chosen on validation (a), not on test (b): it loses to the baseline on test
    assert v["winner"] == "a" and v["baseline"] == "z" and v["beats"] is False
    assert v["delta_test"] == pytest.approx(-0.02)
    assert v["delta_test_se"] == pytest.approx((0.01 ** 2 / 2 + 0.02 ** 2 / 2) ** 0.5)
    assert v["params_ratio"] == pytest.approx(0.5) and v["latency_ratio"] == pytest.approx(2.0)
    assert rank_transfer(rows)["kendall_tau"] == pytest.approx(-1.0)  # search said b > a, final a > b


# ---- kills and Ctrl-C during the final phase

def _start(args, cwd) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "nasx.cli", *args], cwd=cwd, env=subprocess_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)


def _wait_for(path: Path, pred, timeout=240):
    t0 = time.time()
    while time.time() - t0 < timeout:
        if path.exists() and pred():
            return
        time.sleep(0.2)
    raise AssertionError("timed out")


@pytest.fixture
def terminal_sigint():
    before = signal.getsignal(signal.SIGINT)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, before)


@pytest.mark.parametrize("how", ["sigint", "sigkill"])
def test_interrupted_final_phase_continues_with_nothing_lost_or_trained_twice(tmp_path, how, terminal_sigint):
    cfg = write_config(tmp_path, executor="inprocess", budget="2trials", baselines=["lenet5"],
                       final={"top": 2, "epochs": 3, "seeds": 2})
    run = tmp_path / "r"
    proc = _start(["search", "--config", cfg, "--run-dir", str(run)], tmp_path)
    try:  # stop it once the first final training is journaled (the second one is then running)
        _wait_for(run / "journal.jsonl", lambda: len(final_lines(run)) >= 1)
        os.killpg(proc.pid, signal.SIGINT if how == "sigint" else signal.SIGKILL)
        out, _ = proc.communicate(timeout=240)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    done = final_lines(run)
    assert 1 <= len(done) < 6
    if how == "sigint":  # the running training ended and was journaled; the line says how to go on
        assert proc.returncode == 130 and "continue with: nasx resume" in out
        assert RunDir(run).meta()["status"] == "interrupted"
    cont = _start(["resume", str(run)] if how == "sigint" else ["finalize", str(run)], tmp_path)
    out, _ = cont.communicate(timeout=400)
    assert cont.returncode == 0, out
    after = final_lines(run)
    assert len(after) == 6 and len({r["id"] for r in after}) == 6  # all owed, none twice
    assert after[: len(done)] == done
    assert "verdict:" in out


def test_optuna_learns_a_rejected_candidate_as_infeasible():
    """TPE is told a constraint rejection as a complete trial with a positive Optuna constraint (its
    relative excess), a feasible one with 0; a plain failure stays FAIL (TPE ignores those)."""
    from nasx.evaluate import Result
    from nasx.spaces import get_space
    from nasx.strategies import create_strategy

    s = create_strategy("tpe", get_space("nb201"), seed=0, objectives=["val_acc"], max_trials=3)
    outcomes = [Result("ok", None, {"val_acc": 0.7}),
                Result("failed", "over the limit: params", {"params": 300, "limits": {"params": 200}}),
                Result("failed", "NaN loss", {})]
    for r in outcomes:
        s.tell(s.ask(), r)
    t = s.study.get_trials()
    assert [x.state.name for x in t] == ["COMPLETE", "COMPLETE", "FAIL"]
    assert t[0].constraints == {"limits": 0.0} and t[0].values == [0.7]
    assert t[1].constraints == {"limits": pytest.approx(0.5)} and t[1].values == [0.0]
