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
    assert isinstance(spec, TrialSpec) and spec.version == SPEC_VERSION and spec.runner == "train"
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


def _registries():
    """(registry, register a new object under a name, a built-in name, the module that registered it)."""
    from nasx.data.registry import LOADERS, register_loader
    from nasx.enas.controller import CONTROLLERS, register_controller
    from nasx.enas.supernet import SUPERNETS
    from nasx.evaluate.candidates import CANDIDATE_KINDS, register_candidate_kind
    from nasx.execute.executors import EXECUTORS
    from nasx.export.formats import FORMATS, register_format
    from nasx.export.ops import OP_EMITTERS, register_op_emitter
    from nasx.latency import RUNTIMES, register_runtime
    from nasx.ops import OPS, register_op
    from nasx.proxies.registry import _PROXIES, register_proxy
    from nasx.spaces.registry import _KINDS, register_kind
    from nasx.strategies.surrogates import _SURROGATES, register_surrogate
    from nasx.zoo.registry import _MODELS, register_model

    def fn(*a, **k):
        """A stand-in."""

    def cls():
        return type("Stand_in", (), {"__module__": __name__})

    return [
        (OPS, lambda n: register_op(n)(fn), "identity", "nasx.ops"),
        (_MODELS, lambda n: register_model(n, family="t", year=1, paper="t")(fn), "lenet5", "nasx.zoo.lenet"),
        (_KINDS, lambda n: register_kind(n)(cls()), "nb201", "nasx.spaces.nb201"),
        (_PROXIES, lambda n: register_proxy(n)(fn), "synflow", "nasx.proxies.measures"),
        (RUNTIMES, lambda n: register_runtime(n)(fn), "torch", "nasx.latency"),
        (LOADERS, lambda n: register_loader(n)(fn), "npz", "nasx.data.npz"),
        (_SURROGATES, lambda n: register_surrogate(n)(cls()), "lstm", "nasx.strategies.surrogates"),
        (OP_EMITTERS, lambda n: register_op_emitter(n)(fn), "identity", "nasx.export.ops"),
        (FORMATS, lambda n: register_format(n, "model.x")(fn), "onnx", "nasx.export.formats"),
        (CONTROLLERS, lambda n: register_controller(n)(cls()), "cells", "nasx.enas.micro_controller"),
        (SUPERNETS, lambda n: SUPERNETS.add(n, cls()), "macro", "nasx.enas.supernet"),
        (EXECUTORS, lambda n: EXECUTORS.add(n, "x:y", origin=__name__), "ray", "nasx.execute.executors"),
        (CANDIDATE_KINDS, lambda n: register_candidate_kind(n, callable, fn), "zoo", "nasx.evaluate.candidates"),
    ]


@pytest.mark.parametrize("what", ["op", "model", "space kind", "proxy", "latency runtime", "data scheme", "surrogate",
                                  "op emitter", "export format", "ENAS controller", "ENAS supernet", "executor",
                                  "candidate kind"])
def test_every_registry_refuses_a_taken_name_and_cleans_up(what):
    """#27: one rule everywhere: a taken name is a DuplicateName naming both modules, the built-in stays,
    and a temporary entry is removed with `remove`."""
    from nasx.registry import DuplicateName

    registry, register, builtin, first = next(r for r in _registries() if r[0].what == what)
    before = registry[builtin]
    with pytest.raises(DuplicateName, match=rf"^test_engine_seams: {what} '{builtin}' is already registered by {first};"):
        register(builtin)
    assert registry[builtin] is before and registry.origin(builtin) == first  # the built-in stays
    register("test_seam_tmp")
    try:
        assert "test_seam_tmp" in registry and registry.origin("test_seam_tmp") == "test_engine_seams"
    finally:
        registry.remove("test_seam_tmp")
    assert "test_seam_tmp" not in registry and len(registry) == len(list(registry.items()))


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


def test_a_run_journaled_before_runner_names_were_paths_resumes(tmp_path):
    """Journals written before #15 say `"runner": "enas"`: the driver still reads them (the ENAS
    trial counts as done, is not a repeatable purchase) and launches nothing more."""
    from nasx.spaces import get_space

    cfg = load_config(write_config(tmp_path, strategy="enas", budget="3trials", executor="inprocess"), {})
    run = RunDir.create(tmp_path / "run", cfg.to_dict())
    g = get_space("nb201").sample(0)
    run.append({"event": "trial", "id": "enas-00000", "genotype": g.to_dict(), "hash": g.hash, "status": "ok",
                "reason": None, "metrics": {"val_acc": 0.9}, "device_seconds": 5.0, "wall_seconds": 5.0,
                "fidelity": {}, "meta": {"runner": "enas", "enas": {"enas_epochs": 2}, "cpus": 1.0, "gpus": 0.0}})
    driver = SearchDriver(cfg, run, 0.0)
    assert driver.replayed == 1 and driver.stats.finished == 1 and not driver.done
    assert driver.next_spec() == "FINISHED"
