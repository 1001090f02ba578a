"""BANANAS, zero-cost proxies as predictor inputs, and the bundled NB201 tables of other data sets:
real strategies, real proxy scores, real table lookups, no mocks."""

import json

import numpy as np
import pytest

from nasx import bench
from nasx.evaluate import Result
from nasx.evaluate.tabular import load_table
from nasx.proxies import ProxyCache, ProxyScorer
from nasx.spaces import get_space
from nasx.strategies import create_strategy
from nasx.strategies.pnas import neighbours
from nasx.strategies.prescreen import Prescreened
from nasx.strategies.surrogates import create_surrogate, spearman

SMALL = {"channels": 4, "cells_per_stage": 1}


@pytest.fixture(autouse=True)
def _cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("NASX_CACHE_DIR", str(tmp_path / "cache"))  # never the user's cache


def _table_result(g) -> Result:
    """The cell's 12-epoch validation accuracy from the bundled table, as a trial result."""
    t = load_table()
    return Result("ok", None, {"val_acc": float(t["val_acc_12ep"][list(t["arch"]).index(g.data["arch"])]) / 100})


def test_bananas_asks_random_cells_then_ensemble_picks_around_the_best():
    space = get_space("nb201")
    s = create_strategy("bananas", space, seed=3, init=5, batch=4, max_trials=17)
    seen = []
    while not s.finished:
        p = s.ask()
        assert p.genotype.hash not in seen  # never proposes a cell it already has
        if len(seen) >= 5:
            assert "round" in p.meta and p.meta["predicted"] is not None
        seen.append(p.genotype.hash)
        s.tell(p, _table_result(p.genotype))
    assert s.rounds == 3 and len(seen) == 17  # 5 random, then rounds of 4 (the last one cut short)


def test_bananas_beats_random_search_on_the_table():
    """Over the same 8 seeds at 60 queries, BANANAS' pick is better on average than random search's."""
    traces, _ = bench.run_bench("nb201", ["random", "bananas"], seeds=8, queries=60, workers=1)
    assert traces["bananas"][:, -1].mean() > traces["random"][:, -1].mean() + 0.2, \
        (traces["bananas"][:, -1].mean(), traces["random"][:, -1].mean())


def test_proxy_as_a_predictor_input_ranks_unseen_cells():
    """Fitted on 30 cells, the ensemble with synflow as an input ranks 300 unseen cells better than
    without it (synflow alone already correlates with the table)."""
    t = load_table()
    space = get_space("nb201")
    rng = np.random.default_rng(0)
    idx = rng.choice(len(t["arch"]), 330, replace=False)
    cells = [space.from_string(t["arch"][i]) for i in idx]
    y = t["val_acc_12ep"][idx]
    scorer = ProxyScorer(space, "synflow", network=SMALL, cache=ProxyCache())
    rho = {}
    for name, proxy in (("plain", None), ("proxy", scorer.score_many)):
        m = create_surrogate("mlp_ensemble", space, seed=1, proxy=proxy).fit(cells[:30], y[:30])
        mean, std = m.predict(cells[30:])
        assert mean.shape == std.shape == (300,)
        rho[name] = spearman(mean, y[30:])
    assert rho["proxy"] > rho["plain"] and rho["proxy"] > 0.5, rho


@pytest.mark.parametrize("strategy,uses", [("pnas", True), ("bananas", True), ("random", False), ("tpe", False)])
def test_prescreen_offers_its_proxy_as_a_feature(strategy, uses):
    space = get_space("nb201")
    opts = {"pnas": {"beam": 4, "first_stage": 4, "surrogate": "mlp_ensemble"},
            "bananas": {"init": 3, "batch": 2}}.get(strategy, {})
    scorer = ProxyScorer(space, "synflow", network=SMALL, cache=ProxyCache())
    s = Prescreened(create_strategy(strategy, space, seed=0, max_trials=8, **opts), scorer, 1)
    assert s.summary()["proxy_feature"] is uses
    billed = 0.0
    for i in range(8):
        p = s.ask()
        if p is None:
            break
        assert p.meta["proxy_candidates"] == 1  # PROXY:1: the feature alone, nothing screened away
        billed += p.meta["proxy_seconds"]
        s.tell(p, Result("ok", None, {"val_acc": 0.3 + 0.05 * (i % 5)}))
    # every second spent scoring, for the screen or for the predictor's inputs, is on a bill (PNAS
    # refits in tell, so its last refit would go on the next proposal's bill)
    if strategy != "pnas":
        assert billed == pytest.approx(scorer.seconds) and billed > 0
    if uses:
        assert scorer.computed > 8  # the predictor scored candidates beyond the proposals


def test_bananas_option_errors_are_one_line(run_cli, tmp_path):
    from searchutil import write_config

    for opts in ({"batch": 0}, {"acquisition": "ei"}, {"members": 1}, {"wat": 3}):
        cfg = write_config(tmp_path, budget="2trials", executor="inprocess", strategy="bananas",
                           strategy_options=opts)
        rc, out, err = run_cli("search", "--config", cfg, "--run-dir", tmp_path / "r")
        assert rc == 2 and "Traceback" not in out + err and len(err.strip().splitlines()) == 1 and "bananas" in err, (opts, err)


def test_search_with_bananas_and_the_proxy_feature(run_cli, tmp_path):
    from searchutil import journal, write_config

    cfg = write_config(tmp_path, budget="4trials", executor="inprocess", strategy="bananas",
                       strategy_options={"init": 2, "batch": 2}, prescreen="synflow:1")
    run = tmp_path / "run"
    rc, _, err = run_cli("search", "--config", cfg, "--run-dir", run)
    assert rc == 0, err
    trials = journal(run)
    assert len(trials) == 4 and all(t["meta"]["proxy"] == "synflow" for t in trials)
    assert any("round" in t["meta"] for t in trials)


@pytest.mark.parametrize("name,classes,size", [("cifar100", 100, 32), ("imagenet16-120", 120, 16)])
def test_bundled_tables_of_other_data_sets(run_cli, name, classes, size):
    path, known = bench.resolve_table(name)
    assert (known.classes, known.image_size) == (classes, size)
    t = load_table(path)
    assert len(t["arch"]) == 15625 and str(t["judge"]) == "test_acc_12ep"
    assert np.isnan(t["test_acc_200ep"]).all()
    rc, out, err = run_cli("bench", "nb201", "--table", name, "--strategy", "random", "--queries", "10",
                           "--seeds", "2", "--workers", "1", "--plot", "")
    assert rc == 0 and "test_acc_12ep" in out, err


def test_bundled_proxy_scores_fill_other_tables():
    """The shipped synflow scores for CIFAR-100 / ImageNet16-120 are what nasx computes now."""
    space = get_space("nb201")
    for name in ("cifar100", "imagenet16-120"):
        path, known = bench.resolve_table(name)
        r = bench.table_scores("synflow", path, known.classes, workers=1, image_size=known.image_size)
        assert r["bundled"] == 15625 and r["computed"] == 0 and r["spearman"] > 0.5, (name, r["spearman"])
        sc = ProxyScorer(space, "synflow", seed=bench.PROXY_SEED, num_classes=known.classes,
                         input_shape=(3, known.image_size, known.image_size), cache=ProxyCache())
        arch = load_table(path)["arch"][1234]
        assert sc.compute(space.from_string(arch))[0] == pytest.approx(r["scores"][arch], abs=1e-5)  # 6 decimals


def test_tables_judged_by_12_epochs_and_bad_tables(run_cli, tmp_path):
    t = load_table()
    rows = range(len(t["arch"]))  # every cell, so a random query always finds its row
    only12 = tmp_path / "t12.csv"
    only12.write_text("arch,val_acc_12ep,test_acc_12ep\n" + "".join(
        f"{t['arch'][i]},{t['val_acc_12ep'][i]},{t['test_acc_12ep'][i]}\n" for i in rows))
    rc, out, err = run_cli("bench", "nb201", "--table", only12, "--strategy", "random", "--queries", "5",
                           "--seeds", "1", "--workers", "1", "--plot", "", "--json")
    assert rc == 0 and json.loads(out)["random"]["5"]["mean"] <= t["test_acc_12ep"].max(), err
    none = tmp_path / "none.csv"
    none.write_text("arch,val_acc_12ep\n" + f"{t['arch'][0]},50\n")
    for table in (str(none), "cifar1000"):
        rc, out, err = run_cli("bench", "nb201", "--table", table, "--queries", "5", "--seeds", "1", "--plot", "")
        assert rc == 2 and out == "" and len(err.strip().splitlines()) == 1, err
    assert "test_acc_12ep" in run_cli("bench", "nb201", "--table", str(none), "--queries", "1")[2]


def test_neighbours_are_one_decision_away():
    space = get_space("nb201")
    g = space.sample(0)
    base = space.choices(g)
    for n in neighbours(space, g):
        assert sum(base[k] != v for k, v in space.choices(n).items()) == 1


def test_bananas_rebuilt_from_its_journal_continues_without_repeats():
    space = get_space("nb201")
    first = create_strategy("bananas", space, seed=5, init=4, batch=3, max_trials=9)
    told = []
    while not first.finished:
        p = first.ask()
        r = _table_result(p.genotype)
        first.tell(p, r)
        told.append((p, r))
    again = create_strategy("bananas", space, seed=5, init=4, batch=3, max_trials=15)
    for p, r in told:
        again.observe(p.genotype, r, p.fidelity, p.meta, trial_id=p.id)
    again.resumed(len(told))
    assert again.asked == 9 and len(again.data) == 9
    new = []
    while not again.finished:
        p = again.ask()
        assert "round" in p.meta  # past its random start: the ensemble proposes
        new.append(p.genotype.hash)
        again.tell(p, _table_result(p.genotype))
    assert len(new) == 6 and not set(new) & {p.genotype.hash for p, _ in told} and len(set(new)) == 6
