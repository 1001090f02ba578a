"""PNAS: stage-by-stage growth, the barrier, de-duplicated expansion, surrogates, exact resume."""

import random

import numpy as np
import pytest

from nasx.errors import ConfigError
from nasx.evaluate.result import Result
from nasx.spaces import RandomChooser, get_space, space_from_settings
from nasx.strategies import create_strategy
from nasx.strategies.surrogates import create_surrogate, spearman

OPS = ["identity", "sep_conv_3x3", "max_pool_3x3"]


def tiny(separate_reduction=False):
    return space_from_settings({"kind": "cells", "name": "tiny", "ops": OPS, "blocks": 3,
                                "separate_reduction": separate_reduction})


def score(g) -> float:
    """Deterministic synthetic accuracy: rewards sep_conv_3x3, a little for reading the previous cell."""
    blocks = g.data["normal"]
    sep = sum(op == "sep_conv_3x3" for b in blocks for op in (b[1], b[3]))
    prev = sum(i == 1 for b in blocks for i in (b[0], b[2]))
    return 0.3 + 0.1 * sep + 0.01 * prev


def ok(acc):
    return Result("ok", None, {"val_acc": acc})


def run(strategy, objective=score, limit=10_000):
    """Sequential ask/tell until finished; returns the best objective seen."""
    best = float("-inf")
    while not strategy.finished and strategy.asked < limit:
        p = strategy.ask()
        if p is None:
            break
        v = objective(p.genotype)
        best = max(best, v)
        strategy.tell(p, ok(v))
    return best


def test_expand_counts_children_and_dedup():
    sp = tiny()
    first = sp.initial_cells()
    assert len(first) == 21 == len({g.hash for g in first})  # 6 (input, op) pairs -> 6*7/2 unordered
    assert all(sp.num_blocks(g) == 1 for g in first)
    kids = sp.expand(first[4])
    assert len(kids) == 45 == len({g.hash for g in kids})  # 3 inputs x 3 ops = 9 -> 9*10/2
    assert all(g.data["normal"][:1] == first[4].data["normal"] for g in kids)
    grand = sp.expand(kids[7])
    assert len(grand) == 78 and all(sp.num_blocks(g) == 3 for g in grand)  # 12 pairs -> 78
    assert sp.expand(grand[0]) == []
    for g in kids[:5]:  # every child is already canonical
        assert sp.genotype(g.data).hash == g.hash
    two = tiny(separate_reduction=True)
    assert len(two.initial_cells()) == 21 * 21 and len(two.expand(two.initial_cells()[0])) == 45 * 45


def test_stages_barrier_and_children():
    sp = tiny()
    s = create_strategy("pnas", sp, seed=0, beam=4, explore=0.25, surrogate="mlp_ensemble", epochs=[1, 2])
    stage1 = []
    while (p := s.ask()) is not None:
        stage1.append(p)
    assert {p.genotype.hash for p in stage1} == {g.hash for g in sp.initial_cells()}
    assert all(p.fidelity == {"epochs": 1} and p.meta["stage"] == 1 for p in stage1)
    for p in stage1[:-1]:
        s.tell(p, ok(score(p.genotype)) if p is not stage1[0] else Result("failed", "boom"))
        assert s.ask() is None  # barrier: the stage is not fully told yet
    s.tell(stage1[-1], ok(score(stage1[-1].genotype)))
    stage2 = []
    while (p := s.ask()) is not None:
        stage2.append(p)
    assert len(stage2) == 5 == len({p.genotype.hash for p in stage2})  # beam 4 + round(0.25 * 4)
    assert all(sp.num_blocks(p.genotype) == 2 and p.fidelity == {"epochs": 2} for p in stage2)
    ok_cells = [p.genotype for p in stage1[1:]]
    beam = sorted(ok_cells, key=lambda g: (-score(g), g.hash))[:4]
    parents = {g.spec for g in beam}
    for p in stage2:
        assert sp.genotype({"normal": p.genotype.data["normal"][:1]}).spec in parents
    log = s.summary()["stages"]
    assert log[0]["stage"] == 1 and log[0]["trained"] == 21 and log[0]["failed"] == 1
    assert log[0]["spearman"] is None and log[0]["best"] == max(score(g) for g in ok_cells)
    for p in stage2:
        s.tell(p, ok(score(p.genotype)))
    assert s.stage == 3 and s.stage_log[1]["spearman"] is not None


def test_finishes_after_max_blocks_and_beats_random():
    sp = tiny()
    pnas, rnd = [], []
    for seed in range(3):
        s = create_strategy("pnas", sp, seed=seed, beam=5, explore=0.2, surrogate="mlp_ensemble")
        pnas.append(run(s))
        assert s.finished and s.stage == 3 and [e["stage"] for e in s.stage_log] == [1, 2, 3]
        assert s.asked == 21 + 6 + 6
        rnd.append(run(create_strategy("random", sp, seed=seed, max_trials=s.asked)))
    assert np.mean(pnas) > np.mean(rnd)
    assert max(pnas) >= 0.3 + 0.1 * 5  # found a cell with at most one op that is not sep_conv_3x3


@pytest.mark.parametrize("name", ["lstm", "mlp_ensemble"])
def test_surrogates_rank_a_learnable_target(name):
    sp = tiny()
    rng = random.Random(0)
    cells = list({g.hash: g for g in (sp.sample(RandomChooser(rng)) for _ in range(400))}.values())
    cells += [k for g in sp.initial_cells()[:3] for k in sp.expand(g)[:20]]  # mixed block counts
    rng.shuffle(cells)
    y = np.array([score(g) for g in cells])
    model = create_surrogate(name, sp, seed=1).fit(cells[:200], y[:200])
    mean, std = model.predict(cells[200:])
    assert mean.shape == std.shape == (len(cells) - 200,)
    assert spearman(mean, y[200:]) > 0.5
    again, _ = create_surrogate(name, sp, seed=1).fit(cells[:200], y[:200]).predict(cells[200:])
    assert np.array_equal(mean, again)  # deterministic given (seed, data)


def test_resume_replays_to_the_same_next_proposals():
    sp = tiny()
    kw = {"seed": 3, "beam": 4, "explore": 0.25, "surrogate": "lstm"}
    a = create_strategy("pnas", sp, **kw)
    journal = []
    out = []
    while (p := a.ask()) is not None:
        out.append(p)
    random.Random(1).shuffle(out)  # parallel workers finish in any order
    for p in out:
        r = ok(score(p.genotype)) if p.genotype.hash[0] != "0" else Result("failed", "crash")
        a.tell(p, r)
        journal.append((p.genotype, r))
    stage2 = [a.ask() for _ in range(3)]
    for p in stage2[:2]:
        a.tell(p, ok(score(p.genotype)))
        journal.append((p.genotype, ok(score(p.genotype))))
    b = create_strategy("pnas", sp, **kw)
    for g, r in journal:
        b.observe(g, r)
    assert b.stage_log == a.stage_log and b.stage == a.stage == 2
    a_next = [stage2[2]] + [a.ask() for _ in range(2)]  # the lost in-flight trial is proposed again
    b_next = [b.ask() for _ in range(3)]
    assert [p.genotype.hash for p in b_next] == [p.genotype.hash for p in a_next]
    assert [p.meta for p in b_next] == [p.meta for p in a_next]
    assert a.ask() is None and b.ask() is None


def test_predictor_guided_on_nb201_is_unique_and_logged():
    sp = get_space("nb201")
    s = create_strategy("pnas", sp, seed=0, beam=5, surrogate="mlp_ensemble", pool=50, max_trials=22)
    seen = set()

    def objective(g):
        seen.add(g.hash)
        return 0.5 + 0.1 * g.data["arch"].count("nor_conv_3x3")

    run(s, objective)
    assert s.asked == len(seen) == 22 and [e["stage"] for e in s.stage_log][:3] == [1, 2, 3]


@pytest.mark.parametrize("bad", [{"beam": 0}, {"explore": 1.5}, {"surrogate": "gp"}, {"max_blocks": 9},
                                 {"epochs": 0}, {"first_stage": "x"}, {"frobnicate": 1}])
def test_options_are_validated(bad):
    with pytest.raises(ConfigError):
        create_strategy("pnas", tiny(), **bad)
    with pytest.raises(ConfigError, match="max_blocks"):
        create_strategy("pnas", get_space("nb201"), max_blocks=2)


def test_first_stage_cap_samples():
    s = create_strategy("pnas", get_space("pnas"), seed=0, first_stage=10, max_blocks=2)
    got = []
    while (p := s.ask()) is not None:
        got.append(p.genotype)
    assert len(got) == 10 == len({g.hash for g in got}) and all(len(g.data["normal"]) == 1 for g in got)
