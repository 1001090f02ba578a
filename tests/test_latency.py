"""Deployment latency (`nasx.latency`): real ONNX Runtime and eager-torch timings of real networks."""

import math
import sys

import pytest
import torch
from torch import nn

from nasx.errors import ConfigError
from nasx.latency import (
    RUNTIMES,
    Latency,
    LatencyCache,
    LatencyError,
    cached_latency,
    check_runtime,
    default_cache_path,
    default_runtime,
    latency_key,
    measure_latency,
)
from nasx.spaces import get_space
from nasx.zoo import create_model

pytest.importorskip("onnxruntime")

MNIST = (1, 28, 28)
DIGITS = (1, 8, 8)
FAST = {"warmup": 3, "repeats": 10, "min_repeats": 10, "max_seconds": 0.0}  # cache tests: cost only


@pytest.fixture(autouse=True)
def _cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("NASX_CACHE_DIR", str(tmp_path / "cache"))  # never the user's cache


def lenet():
    return create_model("lenet5", num_classes=10, in_channels=1, input_size=MNIST)


def cells_net(channels=8, seed=0):
    space = get_space("cells").with_network(channels=channels)
    return space.build(space.sample(seed), num_classes=10, input_size=DIGITS)


def sane(lat: Latency, runtime: str, batch: int = 1, threads: int = 1):
    assert lat.runtime == runtime and lat.batch == batch and lat.threads == threads
    assert math.isfinite(lat.median_ms) and lat.median_ms > 0
    assert 0 < lat.p10_ms <= lat.median_ms <= lat.p90_ms
    assert math.isfinite(lat.cv) and lat.cv >= 0
    assert 1 <= lat.repeats <= 5000 and lat.seconds > 0


@pytest.mark.parametrize("runtime", ["ort", "torch"])
def test_lenet5_measured_on_each_runtime(runtime):
    lat = measure_latency(lenet(), MNIST, runtime=runtime, max_seconds=0.3)
    sane(lat, runtime)
    assert lat.repeats >= 30  # the early stop waits for 30 timed runs
    assert lat.seconds < 10  # bounded cost: the search bills it


def test_batch_8_is_slower_than_batch_1_on_a_cells_network():
    net = cells_net()
    one = measure_latency(net, DIGITS, runtime="ort", batch=1, max_seconds=0.3)
    eight = measure_latency(net, DIGITS, runtime="ort", batch=8, max_seconds=0.3)
    sane(one, "ort")
    sane(eight, "ort", batch=8)
    assert eight.median_ms > one.median_ms


def test_a_bigger_model_is_slower_on_ort():
    """Margins of 4-5x: the shared dev VM's speed swings up to 2x between measurements."""
    small = measure_latency(lenet(), MNIST, max_seconds=0.3)
    big = measure_latency(create_model("resnet20", num_classes=10, in_channels=1, input_size=MNIST), MNIST,
                          max_seconds=0.3)
    assert big.median_ms > 1.5 * small.median_ms  # 30.8M vs 0.33M MACs
    wide = measure_latency(cells_net(channels=64), DIGITS, max_seconds=0.3)
    narrow = measure_latency(cells_net(channels=4), DIGITS, max_seconds=0.3)
    assert wide.median_ms > narrow.median_ms


def test_the_model_is_left_as_it_was():
    net = cells_net().train()
    before = {k: v.clone() for k, v in net.state_dict().items()}
    measure_latency(net, DIGITS, runtime="ort", **FAST)
    measure_latency(net, DIGITS, runtime="torch", **FAST)
    assert net.training
    assert all(torch.equal(before[k], v) for k, v in net.state_dict().items())
    half = lenet().to(torch.bfloat16).eval()  # timed as a CPU float32 copy
    sane(measure_latency(half, MNIST, runtime="ort", **FAST), "ort")
    assert next(half.parameters()).dtype == torch.bfloat16 and not half.training


def test_torch_runtime_restores_the_thread_count():
    old = torch.get_num_threads()
    lat = measure_latency(lenet(), MNIST, runtime="torch", threads=2, **FAST)
    sane(lat, "torch", threads=2)
    assert torch.get_num_threads() == old


def test_cache_round_trip_hits_only_the_same_key():
    cache = LatencyCache()
    space = get_space("cells").with_network(channels=8)
    g = space.sample(1)
    built = []

    def build():
        built.append(1)
        return space.build(g, num_classes=10, input_size=DIGITS)

    args = (g, {"channels": 8}, DIGITS, build)
    first, hit1 = cached_latency(cache, *args, runtime="ort", **FAST)
    again, hit2 = cached_latency(cache, *args, runtime="ort", **FAST)
    assert (hit1, hit2) == (False, True) and again == first and len(built) == 1
    for other in ({"runtime": "ort", "threads": 2}, {"runtime": "ort", "batch": 4}, {"runtime": "torch"}):
        lat, hit = cached_latency(cache, *args, **other, **FAST)
        assert not hit and lat.runtime == other["runtime"]
    assert cached_latency(cache, g, {"channels": 16}, DIGITS, build, **FAST)[1] is False  # other settings
    assert len(built) == 5 and cache.hits == 1


def test_the_cache_persists_on_disk_in_the_nasx_cache_dir(tmp_path):
    path = default_cache_path()
    assert path == tmp_path / "cache" / "latency.sqlite"
    lat = measure_latency(lenet(), MNIST, **FAST)
    key = latency_key("lenet5", None, "1x28x28", "ort")
    assert key[0] == "zoo:lenet5" and key[2] == "1x28x28"
    LatencyCache(path).put(key, lat)
    assert LatencyCache(path).get(key) == lat
    assert LatencyCache(path).get(latency_key("lenet5", None, MNIST, "ort", machine="elsewhere")) is None


def test_unknown_or_missing_runtime_is_a_config_error(monkeypatch):
    assert set(RUNTIMES) >= {"ort", "torch"} and default_runtime() == "ort"
    with pytest.raises(ConfigError, match="unknown; choose one of: ort, torch") as err:
        measure_latency(lenet(), MNIST, runtime="tensorrt")
    assert err.value.keys == ("latency_runtime",)
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # as if not installed: import fails
    assert default_runtime() == "torch"
    with pytest.raises(ConfigError, match="pip install onnxruntime"):
        check_runtime("ort")
    assert check_runtime("torch") == "torch"


class Spectral(nn.Module):
    """A model ONNX cannot express (no FFT in opset 17's exporter), runnable in eager torch."""

    def forward(self, x):
        return torch.fft.fft2(x).abs().flatten(1)


class Broken(nn.Module):
    def forward(self, x):
        raise RuntimeError("shape mismatch\nwith a second line")


def test_a_model_that_cannot_be_exported_or_run_is_a_latency_error(capfd):
    with pytest.raises(LatencyError, match="ONNX export failed: .*fft_fft2") as err:
        measure_latency(Spectral(), DIGITS, runtime="ort")
    assert "\n" not in str(err.value)
    assert "graph" not in capfd.readouterr().err  # the exporter's graph dump is kept quiet
    sane(measure_latency(Spectral(), DIGITS, runtime="torch", **FAST), "torch")
    with pytest.raises(LatencyError, match="^torch run failed: RuntimeError: shape mismatch$"):
        measure_latency(Broken(), DIGITS, runtime="torch")
    with pytest.raises(LatencyError, match="ONNX export failed"):
        cached_latency(LatencyCache(), "zoo:broken", None, DIGITS, Broken)
