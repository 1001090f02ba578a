"""Zero-cost proxies and `--prescreen`: real networks, real scores, no mocks."""

import json

import numpy as np
import pytest
from searchutil import journal, write_config

from nasx.evaluate.tabular import load_table
from nasx.proxies import ProxyCache, ProxyScorer, proxy_names
from nasx.spaces import get_space
from nasx.strategies import create_strategy
from nasx.strategies.prescreen import Prescreened
from nasx.strategies.surrogates import spearman as spearman_of

SMALL = {"channels": 4, "cells_per_stage": 1}


@pytest.fixture(autouse=True)
def _cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("NASX_CACHE_DIR", str(tmp_path / "cache"))  # never the user's cache


@pytest.mark.parametrize("proxy", proxy_names())
def test_proxy_is_deterministic_for_a_seed_and_finite(proxy):
    space = get_space("nb201")
    g = space.sample(3)
    a = ProxyScorer(space, proxy, network=SMALL, data="digits", seed=1, cache=ProxyCache()).compute(g)[0]
    b = ProxyScorer(space, proxy, network=SMALL, data="digits", seed=1, cache=ProxyCache()).compute(g)[0]
    assert a == b and np.isfinite(a)


def test_synflow_ranks_nb201_cells_like_the_table():
    """On 30 random cells of the table, log-synflow of nasx's own NB201 network (untrained, no data)
    rank-correlates positively with the 200-epoch test accuracy."""
    t = load_table()
    idx = np.random.default_rng(0).choice(len(t["arch"]), 30, replace=False)
    space = get_space("nb201")
    sc = ProxyScorer(space, "synflow", cache=ProxyCache())
    scores = [sc.score(space.from_string(t["arch"][i])) for i in idx]
    rho = spearman_of(scores, t["test_acc_200ep"][idx])
    assert rho is not None and rho > 0.4, rho


def test_cache_hits_across_scorers(tmp_path):
    space = get_space("nb201")
    gs = [space.sample(s) for s in range(4)]
    path = tmp_path / "p.sqlite"
    first = ProxyScorer(space, "synflow", network=SMALL, cache=ProxyCache(path))
    s1 = first.score_many(gs)
    assert first.computed == 4 and first.seconds > 0
    again = ProxyScorer(space, "synflow", network=SMALL, cache=ProxyCache(path))
    assert again.score_many(gs) == s1 and again.computed == 0 and again.cache.hits == 4
    other_seed = ProxyScorer(space, "synflow", network=SMALL, seed=7, cache=ProxyCache(path))
    other_seed.score(gs[0])
    assert other_seed.computed == 1  # the seed is part of the key


@pytest.mark.parametrize("strategy", ["random", "evolution", "tpe", "pnas", "local"])
def test_prescreen_proposes_the_best_scoring_candidate(strategy):
    space = get_space("nb201")
    opts = {"pnas": {"beam": 6, "first_stage": 6, "surrogate": "mlp_ensemble"}}.get(strategy, {})
    scorer = ProxyScorer(space, "synflow", network=SMALL, cache=ProxyCache())
    s = Prescreened(create_strategy(strategy, space, seed=0, max_trials=4, **opts), scorer, 3)
    plain = create_strategy(strategy, space, seed=0, max_trials=40, **opts)
    cands = [plain.ask().genotype for _ in range(3)]  # what the wrapped strategy proposes first
    p = s.ask()
    scores = [scorer.score(g) for g in cands]
    assert p.genotype.hash == cands[int(np.argmax(scores))].hash
    assert p.meta["proxy_candidates"] == 3 and p.meta["proxy_score"] == max(scores)
    assert s.asked == 1 and len(s.pending) == 1  # the other two were discarded, not charged
    from nasx.evaluate import Result

    done = 0
    while not s.finished and done < 4:  # the wrapped strategy keeps going (PNAS: its stage ends)
        s.tell(p, Result("ok", None, {"val_acc": 0.5 + 0.01 * done}))
        done += 1
        p = s.ask()
        if p is None:
            break
    assert done >= 2


def test_prescreen_passes_seeds_and_one_shot_runs_through():
    space = get_space("nb201")
    scorer = ProxyScorer(space, "synflow", network=SMALL, cache=ProxyCache())
    seeded = Prescreened(create_strategy("random", space, seed=0, seeds=[space.sample(5)]), scorer, 3)
    assert seeded.ask().meta == {"seed": True}
    enas = Prescreened(create_strategy("enas", space, seed=0), scorer, 3)
    p = enas.ask()
    assert "runner" in p.meta and "proxy" not in p.meta and scorer.computed == 0


def test_prescreen_gives_the_last_trial_all_its_candidates():
    space = get_space("nb201")
    scorer = ProxyScorer(space, "synflow", network=SMALL, cache=ProxyCache())
    s = Prescreened(create_strategy("random", space, seed=0, max_trials=2), scorer, 4)
    from nasx.evaluate import Result

    sizes = []
    while not s.finished:
        p = s.ask()
        sizes.append(p.meta["proxy_candidates"])
        s.tell(p, Result("ok", None, {"val_acc": 0.5}))
    assert sizes == [4, 4] and s.asked == 2 and s.ask() is None


def test_search_with_prescreen_charges_proxy_time(run_cli, tmp_path):
    cfg = write_config(tmp_path, budget="3trials", executor="inprocess", strategy="evolution",
                       prescreen="synflow:4")
    run = tmp_path / "run"
    rc, _, err = run_cli("search", "--config", cfg, "--run-dir", run)
    assert rc == 0, err
    trials = journal(run)
    assert len(trials) == 3 and all(t["meta"]["proxy"] == "synflow" for t in trials)
    proxy_s = sum(t["meta"]["proxy_seconds"] for t in trials)
    assert proxy_s > 0
    spent = json.loads((run / "run.json").read_text())["spent"]["cpu_seconds"]
    assert spent == pytest.approx(sum(t["wall_seconds"] for t in trials) + proxy_s)
    rc, out, _ = run_cli("show", run, "--json")
    assert rc == 0 and json.loads(out)["budget"]["spent_device_seconds"] == pytest.approx(spent)


@pytest.mark.parametrize("value", ["synflow:0", "foo:5", "synflow", "synflow:x", "synflow:2:3", "synflow:-1"])
def test_bad_prescreen_is_one_line(run_cli, tmp_path, value):
    cfg = write_config(tmp_path, budget="1trials", executor="inprocess")
    rc, out, err = run_cli("search", "--config", cfg, "--run-dir", tmp_path / "r", "--prescreen", value)
    assert rc == 2 and out == "" and len(err.strip().splitlines()) == 1 and "prescreen" in err, err
    rc, _, err = run_cli("bench", "nb201", "--queries", "5", "--seeds", "1", "--plot", "", "--prescreen", value)
    assert rc == 2 and len(err.strip().splitlines()) == 1, err


def test_bench_with_and_without_prescreen(run_cli, tmp_path):
    t = load_table()
    top = np.argsort(-t["val_acc_12ep"])[:40]  # a small table of the same format, 100 classes claimed
    small = tmp_path / "t.csv"
    small.write_text("arch,val_acc_12ep,test_acc_200ep\n" + "".join(
        f"{t['arch'][i]},{t['val_acc_12ep'][i]},{t['test_acc_200ep'][i]}\n" for i in top))
    common = ("bench", "nb201", "--table", small, "--strategy", "random", "--queries", "4", "--seeds", "1",
              "--workers", "1", "--plot", "")
    rc, out, err = run_cli(*common, "--json")
    assert rc == 0 and set(json.loads(out)["random"]) == {"4"}, err
    rc, out2, err = run_cli(*common, "--prescreen", "synflow:3", "--classes", "100")
    assert rc == 0, err
    assert "synflow: Spearman" in out2 and "40 cells" in out2 and "@4" in out2
    rc, _, err = run_cli(*common, "--prescreen", "snip:3")
    assert rc == 2 and "needs a minibatch" in err and len(err.strip().splitlines()) == 1


def test_local_search_steps_to_neighbours_of_the_best():
    from nasx.evaluate import Result
    from nasx.strategies.pnas import neighbours

    space = get_space("nb201")
    s = create_strategy("local", space, seed=0, init=3, max_trials=8)
    told = {}
    for i in range(8):
        p = s.ask()
        if i >= 3:
            best = max(told, key=told.get)
            assert p.genotype.hash in {g.hash for g in neighbours(space, best)}
        told[p.genotype] = 0.1 * (i % 4)
        s.tell(p, Result("ok", None, {"val_acc": told[p.genotype]}))
    assert s.finished and len({g.hash for g in told}) == 8
