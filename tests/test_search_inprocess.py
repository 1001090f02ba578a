"""nasx search end to end without Ray (the in-process executor), plus run-directory commands."""

import json

import pytest
from searchutil import PLUGINS, journal, write_config


def test_search_show_resume_inprocess(run_cli, tmp_path):
    cfg = write_config(tmp_path, budget="3trials", executor="inprocess", strategy="evolution")
    run = tmp_path / "run"
    rc, out, err = run_cli("search", "--config", cfg, "--run-dir", run)
    assert rc == 0, err
    trials = journal(run)
    assert len(trials) == 3 and len({t["id"] for t in trials}) == 3
    assert all(t["status"] == "ok" and 0 <= t["metrics"]["val_acc"] <= 1 for t in trials)
    assert all((run / t["weights"]).is_file() for t in trials)
    assert (run / "leaderboard.csv").read_text().count("\n") == 4
    assert (run / "plots" / "progress.png").stat().st_size > 1000
    assert (run / "plots" / "pareto.png").stat().st_size > 1000
    assert "leaderboard" in out

    rc, out, _ = run_cli("show", run, "--json")
    s = json.loads(out)
    assert s["status"] == "finished" and s["budget"]["trials"] == 3 and s["budget"]["limit"] == "3trials"
    assert {"id", "genotype", "status", "metrics", "device_seconds"} <= set(s["trials"][0])
    assert s["budget"]["spent_device_seconds"] == pytest.approx(sum(t["device_seconds"] for t in trials))

    rc, _, err = run_cli("resume", run)
    assert rc == 2 and "already finished" in err
    rc, _, err = run_cli("resume", run, "--budget", "5trials")
    assert rc == 0, err
    trials2 = journal(run)
    assert len(trials2) == 5 and len({t["id"] for t in trials2}) == 5
    assert trials2[:3] == trials  # nothing rewritten


def test_resume_after_out_of_order_finishes_reuses_no_trial_id(run_cli, tmp_path):
    """A killed run's journal can hold trials 0 and 2 but not 1 (1 was still running): resumed
    proposals must continue after the highest id, never hand out 2 again."""
    cfg = write_config(tmp_path, budget="3trials", executor="inprocess", strategy="random")
    run = tmp_path / "run"
    rc, _, err = run_cli("search", "--config", cfg, "--run-dir", run)
    assert rc == 0, err
    lines = (run / "journal.jsonl").read_text().splitlines()
    kept = [ln for ln in lines if not (json.loads(ln).get("event") == "trial"
                                       and json.loads(ln)["id"] == "random-00001")]
    assert len(kept) == len(lines) - 1
    (run / "journal.jsonl").write_text("\n".join(kept) + "\n")
    rc, _, err = run_cli("resume", run, "--budget", "4trials")
    assert rc == 0, err
    ids = [t["id"] for t in journal(run)]
    assert ids[:2] == ["random-00000", "random-00002"]
    assert len(ids) == 4 and len(set(ids)) == 4 and all(i > "random-00002" for i in ids[2:]), ids


def test_failing_candidates_are_recorded_and_search_goes_on(run_cli, tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(PLUGINS)
    monkeypatch.setenv("NASX_PLUGINS", "nasx_faults")
    from nasx.plugins import load_plugins

    load_plugins()
    space = tmp_path / "faulty.yaml"
    cell = "|{0}~0|+|{0}~0|{0}~1|+|{0}~0|{0}~1|{0}~2|"
    seeds = {n: {"arch": cell.format(op)} for n, op in
             [("explode", "test_explode"), ("nan", "test_nan"), ("oom", "test_oom"), ("fine", "nor_conv_1x1")]}
    import yaml

    space.write_text(yaml.safe_dump({"kind": "nb201", "ops": ["test_explode", "test_nan", "test_oom", "nor_conv_1x1"],
                                     "channels": 4, "cells_per_stage": 1, "seeds": seeds}))
    cfg = write_config(tmp_path, space=str(space), budget="6trials", executor="inprocess", network={},
                       seed_arch=["explode", "nan", "oom", "fine"])
    rc, _, err = run_cli("search", "--config", cfg, "--run-dir", tmp_path / "run")
    assert rc == 0, err
    trials = journal(tmp_path / "run")
    assert len(trials) == 6
    assert [t["status"] for t in trials[:4]] == ["failed", "failed", "failed", "ok"]
    reasons = " | ".join(t["reason"] or "" for t in trials if t["status"] == "failed")
    assert "explode op" in reasons and "diverged" in reasons and "out of memory" in reasons


@pytest.mark.parametrize("args,message", [
    (["--strategy", "annealing"], "unknown strategy"),
    (["--space", "nope"], "unknown space"),
    (["--data", "npz:/no/such.npz"], "does not exist"),
    (["--budget", "100gpu-x"], "unknown unit"),
    (["--budget", "-1h"], "not understood"),
    (["--budget", "1gpu-h", "--executor", "inprocess"], "GPU"),
])
def test_bad_search_input_one_line_exit_2(run_cli, tmp_path, args, message):
    cfg = write_config(tmp_path, budget="2trials", executor="inprocess")
    run = tmp_path / "run"
    rc, _out, err = run_cli("search", "--config", cfg, "--run-dir", run, *args)
    assert rc == 2, err
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_bad_config_key_and_resume_of_non_run(run_cli, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("space: nb201\nbudgett: 3trials\n")
    rc, _, err = run_cli("search", "--config", bad)
    assert rc == 2 and "unknown key(s) budgett" in err
    (tmp_path / "notarun").mkdir()
    (tmp_path / "notarun" / "file.txt").write_text("x")
    rc, _, err = run_cli("resume", tmp_path / "notarun")
    assert rc == 2 and "not a nasx run directory" in err
    assert sorted(p.name for p in (tmp_path / "notarun").iterdir()) == ["file.txt"]
    rc, _, err = run_cli("show", tmp_path / "missing")
    assert rc == 2 and "does not exist" in err


def test_existing_run_is_not_overwritten(run_cli, tmp_path):
    cfg = write_config(tmp_path, budget="1trials", executor="inprocess")
    run = tmp_path / "run"
    assert run_cli("search", "--config", cfg, "--run-dir", run)[0] == 0
    before = (run / "journal.jsonl").read_text()
    rc, _, err = run_cli("search", "--config", cfg, "--run-dir", run)
    assert rc == 2 and "already exists" in err
    assert (run / "journal.jsonl").read_text() == before
