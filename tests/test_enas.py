"""ENAS: supernet paths equal standalone children, controller probabilities, REINFORCE, resume, search."""

import itertools
import json
import math

import pytest
import torch
from searchutil import journal, write_config

from nasx.data import load_dataset
from nasx.enas import Controller, build_supernet, child_from_supernet
from nasx.enas.controller import Reinforce
from nasx.enas.options import EnasOptions
from nasx.enas.runner import CHECKPOINT, load_enas_checkpoint, run_enas, save_enas_checkpoint, seconds_left
from nasx.enas.strategy import RUNNER
from nasx.enas.supernet import SUPERNETS
from nasx.enas.trainer import EnasSearch
from nasx.errors import ConfigError
from nasx.evaluate import Task
from nasx.spaces import get_space, space_from_settings, space_names

torch.set_num_threads(1)

TINY_BY_KIND = {  # space kind -> network overrides that keep the test fast
    "cells": {"channels": 4, "cells_per_stage": 1},
    "nb201": {"channels": 4, "cells_per_stage": 2},
    "macro": {"channels": 4},
}
SUPERNET_SPACES = sorted(n for n in space_names() if get_space(n).kind in SUPERNETS)  # every bundled one


def test_every_supernet_kind_has_tiny_settings():
    assert sorted(SUPERNETS) == sorted(TINY_BY_KIND)


def _tiny_nb201():
    return space_from_settings({"kind": "nb201", "name": "t", "ops": ["none", "skip_connect"], "nodes": 3})


@pytest.mark.parametrize("name", SUPERNET_SPACES)
def test_every_supernet_path_equals_its_standalone_child(name):
    torch.manual_seed(0)
    space = get_space(name)
    space = space.with_network(**{k: v for k, v in TINY_BY_KIND[space.kind].items() if k in space.network_keys})
    net = build_supernet(space, num_classes=5, input_size=(3, 16, 16))
    x = torch.randn(6, 3, 16, 16)
    with torch.no_grad():  # give every BatchNorm non-trivial statistics and affine parameters
        for p in net.parameters():
            p.add_(0.1 * torch.randn_like(p))
        net.train()
        for seed in range(4):
            net(torch.randn(6, 3, 16, 16), space.sample(100 + seed))
    net.eval()
    for seed in range(4):
        g = space.sample(seed)
        child = child_from_supernet(net, g, num_classes=5, input_size=(3, 16, 16)).eval()
        assert type(child) is type(space.build(g, num_classes=5, input_size=(3, 16, 16)))
        with torch.no_grad():
            a, b = net(x, g), child(x)
        torch.testing.assert_close(a, b, rtol=0, atol=1e-6)
    # weights really are shared: a child's parameters are the supernet's selected ones
    assert sum(p.numel() for p in child.parameters()) < sum(p.numel() for p in net.parameters())


def _enumerate(ctl, space):
    keys = [k for k, _ in space.decisions()]
    for combo in itertools.product(*[o for _, o in space.decisions()]):
        yield dict(zip(keys, combo)), ctl.score(dict(zip(keys, combo)))


@pytest.mark.parametrize("settings", [
    None,
    {"kind": "cells", "name": "c1", "ops": ["identity", "max_pool_3x3"], "blocks": 1, "separate_reduction": False},
])
def test_controller_probabilities_and_entropy_match_enumeration(settings):
    torch.manual_seed(1)
    space = space_from_settings(settings) if settings else _tiny_nb201()
    ctl = Controller(space, hidden=16, temperature=1.0, tanh_constant=0)
    with torch.no_grad():  # a sharply non-uniform distribution
        for p in ctl.parameters():
            p.normal_(0, 1.0)
        probs, joint_h, expected_h = {}, 0.0, 0.0
        for choices, s in _enumerate(ctl, space):
            p = float(s.log_prob.exp())
            probs[tuple(choices.values())] = p
            joint_h -= p * float(s.log_prob)
            expected_h += p * float(s.entropy)  # per-step entropies along the path, teacher-forced
    assert sum(probs.values()) == pytest.approx(1.0, abs=1e-5)
    assert expected_h == pytest.approx(joint_h, rel=1e-4)  # chain rule: E[sum of step entropies] = H
    if settings is None:  # sampled frequencies follow exp(log_prob), and sampling scores like forcing
        g = torch.Generator().manual_seed(0)
        counts = dict.fromkeys(probs, 0)
        n = 3000
        with torch.no_grad():
            for i in range(n):
                s = ctl.sample(g)
                counts[tuple(s.choices.values())] += 1
                if i < 20:
                    assert float(s.log_prob) == pytest.approx(float(ctl.score(s.choices).log_prob), abs=1e-6)
        for key, p in probs.items():
            assert abs(counts[key] / n - p) < 4 * math.sqrt(p * (1 - p) / n) + 1e-3


@pytest.mark.parametrize("batch", [1, 4])
def test_reinforce_moves_the_controller_to_the_rewarded_architecture(batch):
    torch.manual_seed(0)
    space = _tiny_nb201()
    ctl = Controller(space)  # Pham's defaults: temperature 5, tanh 2.5, Adam 3.5e-4, decay 0.99
    target = space.from_choices({k: o[1] for k, o in space.decisions()})
    choices = space.choices(target)
    before = float(ctl.score(choices).log_prob.exp().detach())
    rl = Reinforce(ctl, batch=batch)
    g = torch.Generator().manual_seed(0)
    rewards = []
    for _ in range(300):
        rewards.append(rl.step(lambda genotype: float(genotype.hash == target.hash), g)["reward"])
    after = float(ctl.score(choices).log_prob.exp().detach())
    assert before < 0.2 and after > 0.5, (before, after)
    assert sum(rewards[-50:]) > sum(rewards[:50])


def test_op_tanh_reduce_bounds_op_choices_but_not_input_choices():
    """tanh_constant c, op_tanh_reduce k: an op decision's logits stay in [-c/k, c/k], so no op's
    probability exceeds e^(c/k) / (e^(c/k) + (n-1) e^(-c/k)); input decisions keep the bound c."""
    space = space_from_settings({"kind": "cells", "name": "c2", "ops": ["identity", "max_pool_3x3", "conv_1x1"],
                                 "blocks": 2, "separate_reduction": False})
    ctl = Controller(space, hidden=8, temperature=1.0, tanh_constant=1.1, op_tanh_reduce=2.5)
    with torch.no_grad():  # saturate every head, so the bound is what limits the logits
        for p in ctl.parameters():
            p.normal_(0, 30.0)
        h = torch.randn(1, 8)
        kinds = set()
        for step, (key, options) in enumerate(space.decisions()):
            is_op = isinstance(options[0], str)
            kinds.add(is_op)
            bound = 1.1 / 2.5 if is_op else 1.1
            logits = ctl.logits(step, h)[0]
            assert bound * 0.9 < float(logits.abs().max()) <= bound + 1e-6, key
            if is_op:
                n = len(options)
                p_max = math.exp(bound) / (math.exp(bound) + (n - 1) * math.exp(-bound))
                assert float(torch.softmax(logits, -1).max()) <= p_max + 1e-6
    assert kinds == {True, False}
    with pytest.raises(ConfigError, match="op_tanh_reduce"):
        EnasOptions.from_dict({"op_tanh_reduce": 0.5})


def _tiny_macro():
    return space_from_settings({"kind": "macro", "name": "m", "ops": ["conv_3x3", "max_pool_3x3"], "layers": 5,
                                "channels": 4, "reduce_after": []})


def _skip_rate(ctl, space, n=400):
    g = torch.Generator().manual_seed(3)
    with torch.no_grad():
        picks = [v for _ in range(n) for k, v in ctl.sample(g).choices.items() if space.is_skip_decision(k)]
    return sum(picks) / len(picks)


def test_skip_kl_is_the_kl_to_the_target_and_reinforce_pulls_skips_toward_it():
    space = _tiny_macro()
    assert [k for k, _ in space.decisions() if space.is_skip_decision(k)] == [
        "layer2.skip0", "layer3.skip0", "layer3.skip1", "layer4.skip0", "layer4.skip1", "layer4.skip2"]
    assert not any(get_space("nb201").is_skip_decision(k) for k, _ in get_space("nb201").decisions())
    ctl = Controller(space, hidden=8, temperature=1.0, tanh_constant=0, skip_target=0.4)
    with torch.no_grad():  # all-zero controller: every skip has probability 1/2
        for p in ctl.parameters():
            p.zero_()
    expected = 0.5 * math.log(0.5 / 0.6) + 0.5 * math.log(0.5 / 0.4)
    assert float(ctl.sample(torch.Generator().manual_seed(0)).skip_kl.detach()) == pytest.approx(expected, rel=1e-5)
    # a controller that wires most skips, a reward that ignores them: the KL term alone moves it
    torch.manual_seed(0)
    ctl = Controller(space, hidden=8, temperature=1.0, tanh_constant=0, skip_target=0.4)
    with torch.no_grad():
        for t, (key, _) in enumerate(space.decisions()):
            if space.is_skip_decision(key):
                ctl.heads[t].bias.copy_(torch.tensor([0.0, 2.0]))
    before = _skip_rate(ctl, space)
    rl = Reinforce(ctl, lr=0.01, entropy_weight=0.0, skip_weight=0.8)
    g = torch.Generator().manual_seed(0)
    for _ in range(300):
        rl.step(lambda genotype: 0.5, g)
    after = _skip_rate(ctl, space)
    assert before > 0.75 and abs(after - 0.4) < 0.1, (before, after)
    assert Controller(get_space("nb201")).sample().skip_kl == 0  # no skip decisions: no penalty


def test_reinforce_without_update_moves_only_the_baseline():
    torch.manual_seed(0)
    ctl = Controller(_tiny_nb201())
    before = {k: v.clone() for k, v in ctl.state_dict().items()}
    rl = Reinforce(ctl, batch=3)
    row = rl.step(lambda genotype: 0.75, torch.Generator().manual_seed(0), update=False)
    assert all(torch.equal(before[k], v) for k, v in ctl.state_dict().items())
    assert row["reward"] == 0.75 and rl.baseline == pytest.approx(0.75 + 1e-4 * row["entropy"], abs=1e-3)


@pytest.fixture(scope="module")
def tiny_data():
    return load_dataset("digits", max_train=192)


def _search(data):
    space = get_space("nb201").with_network(channels=4, cells_per_stage=1)
    task = Task(data="digits", epochs=1, batch_size=64, latency=False, max_train=192, device="cpu")
    return EnasSearch(space, data, task, EnasOptions(enas_epochs=3, controller_steps=3, derive_samples=5))


def _assert_same_state(a: dict, b: dict):
    for key in ("supernet", "controller"):
        assert a[key].keys() == b[key].keys()
        for k in a[key]:
            assert torch.equal(a[key][k], b[key][k]), (key, k)
    assert a["baseline"] == b["baseline"] and a["epoch"] == b["epoch"]
    assert str(a["w_opt"]) == str(b["w_opt"]) and str(a["c_opt"]) == str(b["c_opt"])
    timing = ("seconds", "shared_seconds", "controller_seconds")
    strip = [{k: v for k, v in r.items() if k not in timing} for r in a["history"]]
    assert strip == [{k: v for k, v in r.items() if k not in timing} for r in b["history"]]


def test_checkpoint_resume_continues_with_identical_state(tiny_data, tmp_path):
    straight = _search(tiny_data)
    straight.train_epoch()
    straight.train_epoch()
    first = _search(tiny_data)
    first.train_epoch()
    save_enas_checkpoint(tmp_path / CHECKPOINT, first, "fp", 1.0)
    resumed = _search(tiny_data)
    assert load_enas_checkpoint(tmp_path / CHECKPOINT, resumed, "other") is None and resumed.epoch == 0
    assert load_enas_checkpoint(tmp_path / CHECKPOINT, resumed, "fp") == 1.0 and resumed.epoch == 1
    resumed.train_epoch()
    _assert_same_state(straight.state_dict(), resumed.state_dict())


def test_warmup_epochs_freeze_the_controller_then_release_it(tiny_data):
    space = get_space("nb201").with_network(channels=4, cells_per_stage=1)
    task = Task(data="digits", epochs=1, batch_size=64, latency=False, max_train=192, device="cpu")
    search = EnasSearch(space, tiny_data, task, EnasOptions(enas_epochs=2, controller_steps=3, warmup_epochs=1,
                                                            controller_lr=0.01))
    start = {k: v.clone() for k, v in search.controller.state_dict().items()}
    row = search.train_epoch()
    assert all(torch.equal(start[k], v) for k, v in search.controller.state_dict().items())
    assert 0.0 <= row["reward"] <= 1.0 and search.baseline is not None
    search.train_epoch()
    assert any(not torch.equal(start[k], v) for k, v in search.controller.state_dict().items())


def _spec(tmp_path, **enas):
    """A version-0 (untyped dict) spec, as nasx wrote them before TrialSpec: still read."""
    from nasx.evaluate import TrialSpec
    from nasx.spaces import get_space as gs

    return TrialSpec.from_dict({
        "trial_id": "enas-00000", "runner": "enas", "genotype": gs("nb201").sample(0).to_dict(),
        "task": Task(data="digits", epochs=1, batch_size=64, latency=False, max_train=192).to_dict(),
        "network": {"channels": 4, "cells_per_stage": 1}, "run_dir": str(tmp_path), "fidelity": {},
        "meta": {"runner": "enas", "enas": {"enas_epochs": 3, "controller_steps": 2, "derive_samples": 4,
                                            "retrain": False, **enas}},
        "budget_left": {"gpu_seconds": None, "cpu_seconds": None, "wall_seconds": None}, "cpus": 1, "gpus": 0})


def test_runner_names_are_data_checked_against_the_registry(tmp_path):
    """The strategy names its runner; run_trial runs only registered runners (never an import path
    read from data), and the names journals of older runs hold still resolve."""
    from dataclasses import replace

    from nasx.evaluate.runners import canonical, trains_one_candidate
    from nasx.execute import run_trial
    from nasx.strategies import create_strategy

    assert canonical("enas") == canonical(RUNNER) == canonical("nasx.enas.runner:run_enas") == "enas"
    assert canonical(None) == canonical("train") == "train"
    assert not trains_one_candidate({"runner": "enas"}) and trains_one_candidate({})
    p = create_strategy("enas", get_space("nb201")).ask()
    assert p.meta["runner"] == RUNNER
    for bad in ("os:system", "nasx.execute.trial:run_trial", "builtins:eval"):
        with pytest.raises(ConfigError, match="unknown trial runner"):
            run_trial(replace(_spec(tmp_path), runner=bad))


def test_runner_killed_after_an_epoch_resumes_at_the_next(tmp_path):
    class Killed(BaseException):
        pass

    def kill(epoch, metrics):
        assert {"val_acc", "val_loss", "train_loss", "reward", "entropy"} <= set(metrics)
        raise Killed

    with pytest.raises(Killed):
        run_enas(_spec(tmp_path), kill)
    assert torch.load(tmp_path / "enas" / CHECKPOINT, weights_only=True)["epoch"] == 1
    epochs = []
    out = run_enas(_spec(tmp_path), lambda e, m: epochs.append(e))
    assert epochs == [2, 3] and out.status == "ok", out
    assert out.metrics["enas_epochs_done"] == 3
    assert [r["epoch"] for r in json.loads((tmp_path / "enas" / "history.json").read_text())] == [1, 2, 3]
    derived = json.loads((tmp_path / "enas" / "derived.json").read_text())
    assert derived[0]["genotype"] == out.genotype and 0 <= derived[0]["shared_val_acc"] <= 1


def test_budget_pacing(tmp_path):
    from dataclasses import replace

    spec = _spec(tmp_path)
    assert seconds_left(spec) == math.inf
    spec = replace(spec, budget_left={"gpu_seconds": None, "cpu_seconds": 30.0, "wall_seconds": 100.0}, cpus=2)
    assert seconds_left(spec) == 15.0
    spec = replace(spec, budget_left={"gpu_seconds": None, "cpu_seconds": 0.0, "wall_seconds": None})
    out = run_enas(spec, None)  # nothing left: derive from the untrained supernet
    assert out.status == "ok" and out.metrics["enas_epochs_done"] == 0
    spec = replace(spec, budget_left={"gpu_seconds": None, "cpu_seconds": 1e-3, "wall_seconds": None},
                   run_dir=str(tmp_path / "second"))
    out = run_enas(spec, None)  # the first epoch runs; its measured time says a second one would not fit
    assert out.status == "ok" and out.metrics["enas_epochs_done"] == 1


def test_nasx_search_strategy_enas_end_to_end(run_cli, tmp_path):
    cfg = write_config(tmp_path, strategy="enas", budget="3trials", executor="inprocess",
                       network={"channels": 4, "cells_per_stage": 1},
                       task={"latency": False, "max_train": 256, "batch_size": 64},
                       strategy_options={"enas_epochs": 2, "controller_steps": 3, "derive_samples": 8})
    run = tmp_path / "run"
    rc, _, err = run_cli("search", "--config", cfg, "--run-dir", run)
    assert rc == 0, err
    trials = journal(run)
    assert len(trials) == 1 and trials[0]["status"] == "ok" and trials[0]["meta"]["runner"] == RUNNER
    derived = json.loads((run / "enas" / "derived.json").read_text())
    assert trials[0]["genotype"] == derived[0]["genotype"]
    assert trials[0]["metrics"]["epochs_done"] == 1 and 0 <= trials[0]["metrics"]["val_acc"] <= 1  # retrained
    history = json.loads((run / "enas" / "history.json").read_text())
    assert [h["epoch"] for h in history] == [1, 2]
    assert {"reward", "entropy", "baseline", "controller_loss", "train_loss"} <= set(history[0])
    assert (run / "plots" / "enas.png").stat().st_size > 1000
    rc, _, err = run_cli("resume", run)
    assert rc == 2 and "already finished" in err


def test_bad_enas_option_is_one_line(run_cli, tmp_path):
    cfg = write_config(tmp_path, strategy="enas", budget="1trials", executor="inprocess",
                       strategy_options={"enas_epoch": 2})
    rc, out, err = run_cli("search", "--config", cfg, "--run-dir", tmp_path / "run")
    assert rc == 2 and "unknown option(s) enas_epoch" in err and "Traceback" not in err
    # refused before the search starts: no run line on stdout, no run directory left behind
    assert out == "" and not (tmp_path / "run").exists()
    with pytest.raises(Exception, match="temperature must be > 0"):
        EnasOptions.from_dict({"temperature": 0})
    cfg = write_config(tmp_path, strategy="enas", budget="1trials", executor="inprocess", space="cells",
                       network={"channels": 4})
    rc, _, err = run_cli("search", "--config", cfg, "--run-dir", tmp_path / "run2", "--skeleton", "nasnet")
    assert rc == 2 and "supernet exists for --skeleton cifar" in err and len(err.strip().splitlines()) == 1
