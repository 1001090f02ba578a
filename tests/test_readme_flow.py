"""The README's own flow, on a run with non-default settings: the demo config (shortened to a few
trials) searched on an embedded Ray by the real CLI, then everything that reads the run back.

The demo sets `network: {channels: 8}` and trains on 1x8x8 digits; a reader that rebuilt the
genotype with the space's defaults (16 channels, 3x32x32) could not load the trial's weights.
"""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml
from searchutil import journal, subprocess_env

pytest.importorskip("ray")
ROOT = Path(__file__).resolve().parents[1]
# a final phase of one training (the best found, 1 epoch, 1 seed): the Ray path of nasx.final, cheaply
SHORT = {"budget": "3trials", "epochs": 1, "baselines": [], "dashboard": False,
         "final": {"top": 1, "epochs": 1, "seeds": 1}}
MAX_TRAIN = 300


def _nasx(*args, cwd, timeout=900):
    """The real CLI in its own process group (Ray's agents die with it), as a user runs it."""
    proc = subprocess.Popen([sys.executable, "-m", "nasx.cli", *map(str, args)], env=subprocess_env(), cwd=cwd,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return proc.returncode, out, err


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    """configs/demo.yaml, shortened to 3 trials (its two seed cells + one TPE proposal), on Ray."""
    home = tmp_path_factory.mktemp("flow")
    cfg = yaml.safe_load((ROOT / "configs" / "demo.yaml").read_text())
    assert cfg["network"] == {"channels": 8}  # the non-default setting this test is about
    cfg.update(SHORT)
    cfg["task"] = {**cfg["task"], "max_train": MAX_TRAIN}
    (home / "demo_short.yaml").write_text(yaml.safe_dump(cfg))
    rc, out, err = _nasx("search", "--config", "demo_short.yaml", "--run-dir", "runs/demo", cwd=home)
    assert rc == 0, out + err
    run = home / "runs" / "demo"
    trials = [t for t in journal(run) if t["status"] == "ok"]
    assert len(trials) >= 2 and all(t["weights"] for t in trials)
    return home, run, cfg


def _val_split(cfg):
    from nasx.data import load_dataset

    return load_dataset(cfg["data"], val_fraction=cfg["task"]["val_fraction"], max_train=MAX_TRAIN)


def _accuracy(model, ds) -> float:
    with torch.no_grad():
        pred = torch.cat([model(ds.x_val[i:i + 256]).argmax(1) for i in range(0, len(ds.y_val), 256)])
    return float((pred == ds.y_val).float().mean())


def test_journal_records_how_each_trial_was_built(demo_run):
    _home, run, _cfg = demo_run
    for t in journal(run):
        assert t["build"]["network"] == {"channels": 8}
        assert t["build"]["input_size"] == [1, 8, 8] and t["build"]["num_classes"] == 10


def test_export_with_deployment_formats_matches_the_trial(demo_run):
    home, run, cfg = demo_run
    rc, out, err = _nasx("export", "runs/demo", "--format", "pt2,onnx", "--out", "exported", cwd=home)
    assert rc == 0, out + err
    folder = home / "exported"
    assert {"model.py", "weights.pt", "model.pt2", "model.onnx", "metrics.json"} <= {p.name for p in folder.iterdir()}
    metrics = json.loads((folder / "metrics.json").read_text())
    assert metrics["input_size"] == [1, 8, 8]
    assert metrics["formats"]["onnx"]["batch"] == "dynamic" and metrics["formats"]["pt2"]["batch"] == "dynamic"
    search_best = min((t for t in journal(run) if t["status"] == "ok"), key=lambda t: -t["metrics"]["val_acc"])
    finals = [json.loads(line) for line in (run / "journal.jsonl").read_text().splitlines()]
    finals = [r for r in finals if r.get("event") == "final"]
    assert len(finals) == 1 and finals[0]["name"] == search_best["id"] and finals[0]["status"] == "ok"
    best = finals[0]  # the default export: the final phase's winner with its final weights
    assert metrics["source"]["trial"] == best["id"] and metrics["source"]["weights_from"] == "final"

    import nasx

    ds = _val_split(cfg)
    model = nasx.load(folder)
    acc = _accuracy(model, ds)
    assert abs(acc - best["metrics"]["val_acc"]) <= 1 / len(ds.y_val), (acc, best["metrics"]["val_acc"])
    with torch.no_grad():
        direct = nasx.load(run)(ds.x_val[:16])
        assert (direct - model(ds.x_val[:16])).abs().max() <= 1e-5

    import onnxruntime as ort

    session = ort.InferenceSession(str(folder / "model.onnx"), providers=["CPUExecutionProvider"])
    program = torch.export.load(str(folder / "model.pt2")).module()
    for batch in (1, 7):
        x = ds.x_val[:batch]
        with torch.no_grad():
            want = model(x).numpy()
            got_pt2 = program(x).numpy()
        got_onnx = session.run(None, {"input": x.numpy()})[0]
        assert got_onnx.shape == (batch, 10) and got_pt2.shape == (batch, 10)
        assert np.abs(got_onnx - want).max() <= 1e-4 and np.abs(got_pt2 - want).max() <= 1e-4


def test_compress_and_visualize_read_the_run(demo_run):
    home, _run, _cfg = demo_run
    rc, out, err = _nasx("compress", "runs/demo", "--data", "digits", "--steps", "1", "--finetune-epochs", "1",
                         "--layerwise", "--max-drop", "1", "--max-extra-epochs", "0", "--out", "compressed", "--json", cwd=home)
    assert rc == 0, out + err
    record = json.loads(out)
    assert record["origin"]["kind"] == "run" and record["ratio"] > 1
    assert (home / "compressed" / "export" / "model.py").is_file()
    rc, out, err = _nasx("visualize", "runs/demo", "--data", "digits", "--layer", "stem.0", "--out", "vis",
                         cwd=home)
    assert rc == 0, out + err
    pngs = list((home / "vis").glob("*.png"))
    assert pngs and all(p.stat().st_size > 1000 for p in pngs)


def test_train_takes_the_runs_settings(demo_run):
    home, _run, _cfg = demo_run
    rc, out, err = _nasx("train", "--genotype", "runs/demo/best/rank1.genotype.json", "--epochs", "1",
                         "--out", "retrained", cwd=home)
    assert rc == 0, out + err
    assert "channels=8" in err and "data digits" in err
    record = json.loads((home / "retrained" / "metrics.json").read_text())
    assert record["build"]["network"] == {"channels": 8} and record["input_size"] == [1, 8, 8]
    assert record["task"]["max_train"] == MAX_TRAIN and record["task"]["val_fraction"] == 0.3
    rc, out, err = _nasx("export", "--genotype", "retrained/genotype.json", "--weights", "retrained/weights.pt",
                         "--out", "retrained_export", cwd=home)
    assert rc == 0, out + err
