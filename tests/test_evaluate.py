"""The trainer and evaluators: failures as data, callbacks, reproducibility, NAS-Bench-201 lookups."""

from __future__ import annotations

import json
import types

import pytest
import torch
from torch import nn

from nasx.data import load_dataset
from nasx.errors import NasxError
from nasx.evaluate import (
    METRIC_KEYS,
    Result,
    StopTrial,
    TabularEvaluator,
    Task,
    TrainingEvaluator,
    train_and_evaluate,
)

FAST = {"epochs": 2, "batch_size": 64, "latency": False, "device": "cpu"}


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """These networks are tiny: one intra-op thread is as fast, and immune to an oversubscribed CI box."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def digits():
    return load_dataset("digits")


def small_cnn(num_classes, in_channels):
    return nn.Sequential(nn.Conv2d(in_channels, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(),
                         nn.Flatten(), nn.Linear(8 * 64, num_classes))


class Hook(nn.Module):
    """small_cnn whose forward calls `fn(x)` from step `at` on (to inject NaN, exceptions, OOM)."""

    def __init__(self, fn, at=0):
        super().__init__()
        self.net, self.fn, self.at, self.calls = small_cnn(10, 1), fn, at, 0

    def forward(self, x):
        self.calls += 1
        out = self.net(x)
        return self.fn(out) if self.training and self.calls > self.at else out


def test_trains_and_reports_everything(digits):
    r = train_and_evaluate(small_cnn, digits, Task(epochs=3, batch_size=64, device="cpu"))
    assert r.status == "ok" and r.reason is None
    assert set(METRIC_KEYS) <= set(r.metrics)
    m = r.metrics
    assert m["val_acc"] > 0.8 and 0 < m["test_acc"] <= 1 and m["epochs_done"] == 3
    assert m["params"] == sum(p.numel() for p in small_cnn(10, 1).parameters()) and m["macs"] > 0
    assert m["latency_ms_b1"] > 0 and m["latency_ms_b64"] > 0 and m["img_per_s"] > 0
    assert m["device_seconds"] > 0 and m["wall_seconds"] >= m["device_seconds"] * 0.5
    assert json.loads(json.dumps(r.to_dict()))["status"] == "ok"
    assert Result.from_dict(r.to_dict()) == r


def test_reproducible(digits):
    a = train_and_evaluate(small_cnn, digits, Task(**FAST, seed=3))
    b = train_and_evaluate(small_cnn, digits, Task(**FAST, seed=3))
    keys = ("val_acc", "val_loss", "train_loss", "test_acc")
    assert [a.metrics[k] for k in keys] == [b.metrics[k] for k in keys]


def test_callback_every_epoch_and_early_stop(digits):
    seen = []
    r = train_and_evaluate(small_cnn, digits, Task(**FAST), callback=lambda e, m: seen.append((e, m)))
    assert [e for e, _ in seen] == [1, 2] and r.status == "ok"
    assert set(seen[0][1]) == {"epoch", "val_acc", "val_loss", "train_loss", "device_seconds"}
    r = train_and_evaluate(small_cnn, digits, Task(**FAST), callback=lambda e, m: False)
    assert r.status == "stopped" and r.metrics["epochs_done"] == 1 and r.metrics["test_acc"] is None

    def stop(epoch, m):
        raise StopTrial("pruned by ASHA")
    r = train_and_evaluate(small_cnn, digits, Task(**FAST), callback=stop)
    assert (r.status, r.reason) == ("stopped", "pruned by ASHA")


def test_other_callback_exceptions_propagate(digits):
    class RayStop(Exception):
        pass

    def cb(epoch, m):
        raise RayStop("from the Ray trainable")
    with pytest.raises(RayStop):
        train_and_evaluate(small_cnn, digits, Task(**FAST), callback=cb)


def test_nan_loss_is_a_failure(digits):
    r = train_and_evaluate(Hook(lambda out: out * float("nan"), at=3), digits, Task(**FAST))
    assert r.status == "failed" and r.reason == "diverged (loss=nan at epoch 1 step 4)"
    r = train_and_evaluate(small_cnn, digits, Task(**FAST, lr=1e6, grad_clip=None))
    assert r.status == "failed" and r.reason.startswith("diverged (loss=")


def test_exception_in_model_is_a_failure(digits):
    def boom(out):
        raise ValueError("shapes do not line up\nsecond line")
    r = train_and_evaluate(Hook(boom), digits, Task(**FAST))
    assert (r.status, r.reason) == ("failed", "ValueError: shapes do not line up")
    assert r.metrics["params"] > 0


def test_out_of_memory_is_a_failure(digits):
    def oom(out):
        raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB")
    r = train_and_evaluate(Hook(oom), digits, Task(**FAST))
    assert (r.status, r.reason) == ("failed", "out of memory")

    def oom_runtime(out):
        raise RuntimeError("DefaultCPUAllocator: not enough memory: you tried to allocate; out of memory")
    assert train_and_evaluate(Hook(oom_runtime), digits, Task(**FAST)).reason == "out of memory"


def test_factory_that_fails_to_build(digits):
    def bad(num_classes):
        raise KeyError("no such op")
    r = train_and_evaluate(bad, digits, Task(**FAST))
    assert r.status == "failed" and r.reason.startswith("KeyError")


def test_task_from_dict():
    t = Task.from_dict({"epochs": "3", "lr": "1e-2", "nesterov": "false", "max_train": None})
    assert (t.epochs, t.lr, t.nesterov, t.max_train) == (3, 0.01, False, None)
    with pytest.raises(NasxError, match="unknown key"):
        Task.from_dict({"epochz": 3})
    with pytest.raises(NasxError, match="schedule"):
        Task.from_dict({"schedule": "linear"})
    with pytest.raises(NasxError, match="not a valid int"):
        Task.from_dict({"epochs": "many"})


def test_schedules_and_warmup(digits):
    for schedule in ("step", "constant"):
        assert train_and_evaluate(small_cnn, digits, Task(**FAST, schedule=schedule, warmup=0.5)).ok


def test_training_evaluator_candidates(digits):
    ev = TrainingEvaluator(digits)
    assert ev.evaluate(small_cnn(10, 1), Task(**FAST)).ok  # an nn.Module
    assert ev.evaluate(lambda: small_cnn(10, 1), Task(**FAST)).ok  # a zero-argument factory
    with pytest.raises(NasxError, match="cannot evaluate"):
        ev.evaluate(42, Task(**FAST))


def test_training_evaluator_loads_the_task_data():
    r = TrainingEvaluator().evaluate(small_cnn, Task(**FAST, data="digits", max_train=200))
    assert r.ok and r.metrics["img_per_s"] > 0


def test_zoo_candidate(digits):
    r = TrainingEvaluator(digits).evaluate("zoo:lenet5", Task(**FAST))
    assert r.ok, r.reason


def test_tabular_evaluator():
    ev = TabularEvaluator(cost_per_query_s=7.5)
    arch = "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|"
    r = ev.evaluate(arch)
    assert r.ok and r.metrics["val_acc"] == pytest.approx(0.82834)
    assert r.metrics["test_acc_200ep"] == pytest.approx(0.9366) and r.metrics["device_seconds"] == 7.5
    assert r.metrics["params"] == 802426
    genotype = types.SimpleNamespace(space="nb201", data={"arch": arch.strip("|")})
    assert ev.evaluate(genotype).metrics == r.metrics
    table = ev.query_table()
    assert len(table["arch"]) == 15625 and table["val_acc_12ep"][1] == pytest.approx(82.834)
    with pytest.raises(NasxError, match="unknown NAS-Bench-201 cell"):
        ev.evaluate("|conv_9x9~0|")
    stopped = ev.evaluate(arch, callback=lambda e, m: False)
    assert stopped.status == "stopped"


def test_baselines_cli(tmp_path, capsys):
    from nasx.cli import main

    models = ["lenet5", "resnet20"]
    out = tmp_path / "b.csv"
    rc = main(["baselines", "--data", "digits", "--models", ",".join(models), "--epochs", "2",
               "--out", str(out), "--json"])
    rows = json.loads(capsys.readouterr().out)
    assert rc == 0 and [r["model"] for r in rows] == models
    assert set(rows[0]) == {"model", "params", "macs", "val_acc", "test_acc", "latency_ms", "device_seconds",
                            "status", "learned", "chance"}
    assert all(r["status"] == "ok" and 0 <= r["val_acc"] <= 1 for r in rows)
    assert all(r["learned"] == (r["val_acc"] >= r["chance"] + 0.2 * (1 - r["chance"])) for r in rows)
    assert out.read_text().splitlines()[0].startswith("model,status")
    assert main(["baselines", "--data", "digits", "--models", "lenet5", "--epochs", "1", "--out", str(out)]) == 0
    assert "lenet5" in capsys.readouterr().out


@pytest.mark.parametrize("args,msg", [(["--models", "nonet"], "unknown model"),
                                      (["--data", "nope:/x"], "unknown data scheme")])
def test_baselines_cli_errors(args, msg, capsys):
    from nasx.cli import main

    assert main(["baselines", "--models", "lenet5", *args]) == 2
    err = capsys.readouterr().err
    assert msg in err and len(err.strip().splitlines()) == 1


def test_genotype_candidate():
    from nasx.spaces import RandomChooser, get_space

    genotype = get_space("nb201").sample(RandomChooser(0))
    r = TrainingEvaluator().evaluate(genotype, Task(**{**FAST, "epochs": 1}, data="digits", max_train=128))
    assert r.ok, r.reason
    assert r.metrics["params"] > 0
    assert TabularEvaluator().evaluate(genotype).ok  # the same genotype is a table row


def test_bn_recalibration_fixes_stale_running_statistics():
    """A short high-lr proxy training leaves BN running averages stale; recalibrating them on a few
    train batches before validation recovers the accuracy the network actually has."""
    from nasx.data import load_dataset
    from nasx.spaces import get_space

    d = load_dataset("digits")
    sp = get_space("pnas")
    g = sp.sample(0)
    accs = {}
    for n in (0, 8):
        r = train_and_evaluate(sp.build(g, 10, d.input_shape), d, Task(epochs=2, latency=False, bn_recalibrate=n))
        accs[n] = r.metrics["val_acc"]
    assert accs[8] > 0.9 and accs[8] > accs[0] + 0.2, accs
