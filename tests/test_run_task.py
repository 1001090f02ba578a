"""Every reader of a run evaluates on the run's own splits (nasx.run_task): compress, visualize, exports."""

from __future__ import annotations

import json

import pytest
import torch
from searchutil import journal, write_config

import nasx
import nasx.compress
import nasx.visualize
from nasx.cli import main
from nasx.data import load_dataset
from nasx.run_task import SPLIT_SEED, run_data_settings

torch.set_num_threads(1)

VAL_FRACTION, MAX_TRAIN, RUN_SEED = 0.3, 300, 3  # the run's seed is not its split seed (the trials carve with 0)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """A tiny real run: 2 in-process nb201 trials, 1 epoch on digits, val_fraction 0.3, max_train 300."""
    tmp = tmp_path_factory.mktemp("run_task")
    cfg = write_config(tmp, budget="2trials", executor="inprocess", seed=RUN_SEED,
                       task={"latency": False, "max_train": MAX_TRAIN, "val_fraction": VAL_FRACTION,
                             "batch_size": 64})
    assert main(["search", "--config", cfg, "--run-dir", str(tmp / "run")]) == 0
    return tmp / "run"


def _split():
    return load_dataset("digits", val_fraction=VAL_FRACTION, max_train=MAX_TRAIN, seed=SPLIT_SEED)


def _best(run):
    return max((t for t in journal(run) if t["status"] == "ok"), key=lambda t: t["metrics"]["val_acc"])


def test_settings_of_a_run_its_exports_and_a_training(run, tmp_path, capsys):
    best = _best(run)
    s = run_data_settings(run)
    assert (s.data, s.val_fraction, s.max_train, s.seed) == ("digits", VAL_FRACTION, MAX_TRAIN, SPLIT_SEED)
    assert best["id"] in s.origin
    assert main(["export", str(run), "--out", str(tmp_path / "exp")]) == 0
    e = run_data_settings(tmp_path / "exp")
    assert (e.data, e.val_fraction, e.max_train) == ("digits", VAL_FRACTION, MAX_TRAIN) and best["id"] in e.origin
    # `nasx train --run` trains under the run's split, records it, and its export leads back to it
    assert main(["train", "--run", str(run), "--epochs", "1", "--out", str(tmp_path / "tr")]) == 0
    assert main(["export", str(tmp_path / "tr"), "--out", str(tmp_path / "trexp")]) == 0
    for folder in ("tr", "trexp"):
        t = run_data_settings(tmp_path / folder)
        assert (t.data, t.val_fraction, t.max_train, t.seed) == ("digits", VAL_FRACTION, MAX_TRAIN, SPLIT_SEED)
    assert run_data_settings("zoo:lenet5") is None
    capsys.readouterr()


def test_compress_of_a_run_scores_the_trials_own_validation_split(run, tmp_path, capsys, monkeypatch):
    seen = {}
    real = nasx.compress.compress

    def spy(model, dataset, cfg, out, log=None):
        seen["dataset"] = dataset
        return real(model, dataset, cfg, out, log=log)

    monkeypatch.setattr(nasx.compress, "compress", spy)
    out = tmp_path / "c"
    rc = main(["compress", str(run), "--data", "digits", "--steps", "1", "--finetune-epochs", "0",
               "--max-extra-epochs", "0", "--max-drop", "1", "--no-export", "--out", str(out), "--json"])
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    r = json.loads(captured.out.strip().splitlines()[-1])
    ds, want = seen["dataset"], _split()
    assert len(ds.y_val) == len(want.y_val) and len(ds.y_train) == MAX_TRAIN
    assert ds.x_val[0].numpy().tobytes() == want.x_val[0].numpy().tobytes()
    assert torch.equal(ds.x_val, want.x_val) and torch.equal(ds.y_val, want.y_val)
    # the old default split (val 10%) and one carved with the run's seed are other images
    assert len(load_dataset("digits").y_val) != len(ds.y_val)
    other = load_dataset("digits", val_fraction=VAL_FRACTION, max_train=MAX_TRAIN, seed=RUN_SEED)
    assert not torch.equal(other.x_val, ds.x_val)
    # the trial's weights (BN statistics recalibrated by the trainer before its last evaluation and
    # saved so) on the trial's split: the accuracies the search journaled
    best = _best(run)
    assert r["budget"]["val_before"] == pytest.approx(best["metrics"]["val_acc"], abs=1e-6)
    assert r["acc_before"] == pytest.approx(best["metrics"]["test_acc"], abs=1e-6)
    assert r["splits"]["val_fraction"] == VAL_FRACTION and r["splits"]["max_train"] == MAX_TRAIN
    line = [m for m in captured.err.splitlines() if "evaluating on" in m]
    assert len(line) == 1 and "(30% of train, split seed 0)" in line[0] and best["id"] in line[0]


def test_visualize_of_a_run_searches_its_validation_split(run, tmp_path, capsys, monkeypatch):
    seen = {}
    real = nasx.visualize.visualize

    def spy(model, x, layer, out, **kw):
        seen["x"] = x
        return real(model, x, layer, out, **kw)

    monkeypatch.setattr(nasx.visualize, "visualize", spy)
    layer = next(n for n, m in nasx.load(run).named_modules() if isinstance(m, torch.nn.Conv2d))
    rc = main(["visualize", str(run), "--layer", layer, "--top", "2", "--channels", "0", "--max-images", "40",
               "--out", str(tmp_path / "v")])  # no --data: the run's
    err = capsys.readouterr().err
    assert rc == 0, err
    assert torch.equal(seen["x"], _split().x_val[:40])
    assert "visualize: evaluating on the splits of run" in err


@pytest.mark.parametrize("cmd", ["compress", "visualize"])
def test_other_data_than_the_runs_is_refused_in_one_line(run, tmp_path, capsys, cmd):
    extra = ["--layer", "x"] if cmd == "visualize" else []
    rc = main([cmd, str(run), "--data", "fashion-mnist", *extra, "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and len(err.splitlines()) == 1, err
    assert "--data fashion-mnist differs from digits" in err and not (tmp_path / "o").exists()


def test_zoo_still_needs_data(tmp_path, capsys):
    rc = main(["compress", "zoo:lenet5", "--out", str(tmp_path / "c")])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and "--data is required" in err and len(err.splitlines()) == 1
