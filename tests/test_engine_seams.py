"""The seams between engine and executor and CLI (#15): the typed trial spec, the executor
registry, the Ray searcher's own state, errors that name config keys (flags only in the CLI),
and the progress line's running count."""

import json

import click
import pytest
from searchutil import write_config

from nasx.config import load_config
from nasx.errors import ConfigError, NasxError
from nasx.evaluate import SPEC_VERSION, TrialSpec
from nasx.execute import SearchDriver, create_executor, executor_names
from nasx.execute.progress import PlainProgress
from nasx.runs import RunDir


def _driver(tmp_path, listeners=(), **over):
    cfg = load_config(write_config(tmp_path, budget="10trials", executor="inprocess", **over), {})
    return SearchDriver(cfg, RunDir.create(tmp_path / "run", cfg.to_dict()), 0.0, list(listeners))


def test_trial_spec_is_built_once_with_the_fidelity_merged(tmp_path):
    spec = _driver(tmp_path).next_spec()
    assert isinstance(spec, TrialSpec) and spec.version == SPEC_VERSION and spec.runner.endswith(":train_trial")
    assert spec.epochs == 1 and spec.make_task().max_train == 400
    back = TrialSpec.from_dict(json.loads(json.dumps(spec.to_dict())))  # through Ray's config: plain data
    assert back == spec
    old = {"trial_id": "t", "genotype": {}, "task": {"epochs": 3, "data": "digits"}, "fidelity": {"epochs": 1}}
    assert TrialSpec.from_dict(old).epochs == 1  # version 0: task and fidelity were merged by each worker
    with pytest.raises(ConfigError, match="newer"):
        TrialSpec.from_dict({**spec.to_dict(), "version": SPEC_VERSION + 1})


def test_executors_are_a_registry(tmp_path):
    assert executor_names() == ["inprocess", "ray"]
    cfg = load_config(write_config(tmp_path, executor="inprocess", gpus_per_trial=0.5), {})
    ex = create_executor("inprocess", cfg)
    if ex.cluster_gpus() == 0:
        with pytest.raises(ConfigError, match="^gpus_per_trial 0.5 but the cluster has no GPU") as err:
            ex.gpus_per_trial()
        assert err.value.keys == ("gpus_per_trial",)
    with pytest.raises(ConfigError, match="executor must be one of inprocess, ray"):
        create_executor("slurm", cfg)


def test_the_ray_searcher_keeps_its_state_on_itself(tmp_path):
    pytest.importorskip("ray")
    from nasx.execute.ray_tune import StrategySearcher

    driver = _driver(tmp_path)
    s = StrategySearcher(driver, slots=2)
    config = s.suggest("tune-a")
    assert TrialSpec.from_dict(config["spec"]).trial_id == s.trial_map["tune-a"]
    s.suggest("tune-b")
    assert s.suggest("tune-c") is None  # both slots busy
    path = tmp_path / "searcher.json"
    s.save(str(path))
    fresh = StrategySearcher(driver, slots=1)
    fresh.restore(str(path))
    assert fresh.trial_map == s.trial_map and fresh.slots == 2 and fresh.driver is driver


def test_engine_errors_name_keys_and_the_cli_says_flags(run_cli, tmp_path):
    from nasx.cli.errors import flag_message

    cmd = click.Command("x", params=[click.Option(["--gpus-per-trial"]), click.Option(["--format", "formats"])])
    err = NasxError("gpus_per_trial 1 but no GPU; set gpus_per_trial 0 (format onnx)",
                    keys=("gpus_per_trial", "format"))
    assert flag_message(err, cmd) == "--gpus-per-trial 1 but no GPU; set --gpus-per-trial 0 (--format onnx)"
    assert flag_message(err, None) == str(err)  # no command: the keys stay keys
    cfg = write_config(tmp_path, executor="inprocess")
    rc, _, err = run_cli("search", "--config", cfg, "--budget", "1gpu-h", "--gpus-per-trial", "0",
                         "--run-dir", tmp_path / "run")
    assert rc == 2 and "budget '1gpu-h' counts GPU-hours" in err and "--gpus-per-trial 0);" in err, err
    assert err.startswith("nasx: error: --budget ")


def test_progress_line_counts_the_trial_that_refills_the_slot(tmp_path):
    """Two trials run; one ends; its line is written after its successor starts: running 2."""
    lines = []
    progress = PlainProgress(write=lines.append)
    driver = _driver(tmp_path, [progress.update])
    with progress:
        a, _b = driver.next_spec(), driver.next_spec()
        driver.record(a.trial_id, {"status": "ok", "metrics": {"val_acc": 0.5}, "wall_seconds": 1.0})
        assert lines == []  # not yet: the slot is about to be refilled
        driver.next_spec()
        assert len(lines) == 1 and f"{a.trial_id} ok val_acc=0.5000" in lines[0] and "running 2 done 1" in lines[0]
        c = max(driver.running)
        driver.record(c, {"status": "failed", "reason": "boom", "metrics": {}, "wall_seconds": 1.0})
    assert len(lines) == 2 and "failed boom" in lines[1] and "running 1 done 2" in lines[1]  # written at the end
