import pytest

from nasx.budget import Budget, Spend, allows
from nasx.config import load_config
from nasx.errors import ConfigError


@pytest.mark.parametrize("text,expect", [
    ("100gpu-h", {"gpu_seconds": 360000.0}),
    ("2cpu-h", {"cpu_seconds": 7200.0}),
    ("90min", {"wall_seconds": 5400.0}),
    ("500trials", {"trials": 500}),
    ("2cpu-h+90min", {"cpu_seconds": 7200.0, "wall_seconds": 5400.0}),
    ("1.5gpu-h, 10trials", {"gpu_seconds": 5400.0, "trials": 10}),
    ("30gpu-min", {"gpu_seconds": 1800.0}),
])
def test_budget_parse(text, expect):
    b = Budget.parse(text)
    for k, v in expect.items():
        assert getattr(b, k) == v


@pytest.mark.parametrize("text,message", [
    ("100gpu-x", "unknown unit 'x'"), ("-1h", "not understood"), ("0trials", "positive"),
    ("", "empty"), ("1.5trials", "whole number"), ("2h+3h", "twice"), ("abc", "not understood"),
])
def test_budget_errors(text, message):
    with pytest.raises(ConfigError, match=message):
        Budget.parse(text)


def test_allows_stops_before_overrun():
    b = Budget.parse("100cpu-s")
    s = Spend(cpu_seconds=70.0, trials=7)
    assert allows(b, s, 0, (10.0, 1.0, 0.0), 0, 1.0, 0.0)[0]
    assert allows(b, s, 2, (10.0, 1.0, 0.0), 0, 1.0, 0.0)[0]  # 70 + 3 x 10 = 100
    ok, why = allows(b, s, 3, (10.0, 1.0, 0.0), 0, 1.0, 0.0)
    assert not ok and "CPU budget" in why
    g = Budget.parse("1gpu-h")
    # 1600 GPU-s spent; each running or new trial is estimated at 450 s x 0.5 GPU = 225 GPU-s
    s = Spend(gpu_seconds=1600.0)
    assert allows(g, s, 7, (450.0, 0.25, 0.5), 0, 0.25, 0.5)[0]
    assert not allows(g, s, 8, (450.0, 0.25, 0.5), 0, 0.25, 0.5)[0]
    assert not allows(Budget.parse("3trials"), Spend(trials=2), 1, None, 0, 1, 0)[0]


def test_config_yaml_cli_precedence_and_errors(tmp_path):
    f = tmp_path / "c.yaml"
    f.write_text("space: nb201\nstrategy: random\nepochs: 2\nbudget: 5trials\n")
    cfg = load_config(str(f), {"epochs": 4, "strategy": None})
    assert (cfg.space, cfg.strategy, cfg.epochs) == ("nb201", "random", 4)
    bad = tmp_path / "bad.yaml"
    bad.write_text("space: nb201\nepochz: 3\n")
    with pytest.raises(ConfigError, match="unknown key.*epochz"):
        load_config(str(bad), {})
    torn = tmp_path / "torn.yaml"
    torn.write_text("space: [nb201\n")
    with pytest.raises(ConfigError, match="malformed YAML"):
        load_config(str(torn), {})
    with pytest.raises(ConfigError, match="unknown strategy 'tpee'"):
        load_config(None, {"strategy": "tpee"})
    with pytest.raises(ConfigError, match="objective"):
        load_config(None, {"objectives": "params"})
    with pytest.raises(ConfigError, match="task: unknown key"):
        load_config(None, {"task": {"lrr": 0.1}})


def test_bundled_configs_validate():
    from nasx._data import data_dir

    names = sorted(p.stem for p in data_dir("configs").glob("*.yaml"))
    assert {"demo"} <= set(names)
    from nasx.search import check_strategy

    for n in names:
        check_strategy(load_config(n, {}))  # the strategy options too (e.g. enas_rerank_cpu's)
