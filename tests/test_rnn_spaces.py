"""Recurrent-cell spaces (DARTS's and ENAS's), their language model, the LSTM/GRU baselines and the
export emitter: the network contract a trainer is written against, checked on tiny sizes."""

from __future__ import annotations

import random

import pytest
import torch
import torch.nn.functional as F

from nasx.errors import GenotypeError, NasxError, SpaceError
from nasx.measure import count_params
from nasx.spaces import RandomChooser, get_space, space_from_settings
from nasx.spaces.rnn import concat_of

VOCAB, N, T = 17, 3, 5
SMALL = {"nhid": 12, "init_range": 0.3}  # emsize follows nhid
SPACES = ("rnn_darts", "rnn_enas")


def small(name, **kw):
    return get_space(name).with_network(**{**SMALL, **kw})


def tokens(n=N, t=T, seed=0):
    return torch.randint(0, VOCAB, (n, t), generator=torch.Generator().manual_seed(seed))


def reference_cell_step(cell, x, h, recurrent, concat):
    """DARTS's DARTSCell.cell in eval mode, written out independently ([x, h] concatenated)."""
    c0, h0 = torch.split(torch.cat([x, h], -1).mm(cell._W0), cell.nhid, -1)
    states = [h + torch.sigmoid(c0) * (torch.tanh(h0) - h)]
    acts = {"tanh": torch.tanh, "relu": torch.relu, "sigmoid": torch.sigmoid, "identity": lambda v: v}
    for w, (act, pred) in zip(cell._Ws, recurrent):
        c, hh = torch.split(states[pred].mm(w), cell.nhid, -1)
        states.append(states[pred] + torch.sigmoid(c) * (acts[act](hh) - states[pred]))
    return torch.stack([states[i] for i in concat]).mean(0)


# ---------------------------------------------------------------- the space

def test_bundled_settings_follow_the_references():
    d, e = get_space("rnn_darts"), get_space("rnn_enas")
    assert d.kind == e.kind == "rnn_cell" and d.task_kind == "language-modelling"
    s = d.settings
    assert (s.nodes, s.output, s.emsize, s.nhid) == (8, "mean_all", 300, 300)
    assert (s.dropout, s.dropouth, s.dropoutx, s.dropouti, s.dropoute, s.init_range) == (0.75, 0.25, 0.75, 0.2, 0, 0.04)
    assert set(s.activations) == set(e.settings.activations) == {"tanh", "relu", "sigmoid", "identity"}
    assert (e.settings.nodes, e.settings.output) == (11, "mean_loose_ends")  # 12 with node 0
    assert [k for k, _ in d.decisions()][:4] == ["node1_pred", "node1_act", "node2_pred", "node2_act"]
    assert d.size() == 40320 * 4 ** 8 and len(d.decisions()) == 16
    assert set(d.network_keys) == {"emsize", "nhid", "dropout", "dropouth", "dropoutx", "dropouti", "dropoute",
                                   "init_range"}
    big = d.with_network(nhid=850, dropoute=0.1)
    assert (big.settings.emsize, big.settings.nhid, big.settings.dropoute, big.name) == (850, 850, 0.1, "rnn_darts")


@pytest.mark.parametrize("bad,message", [
    ({"emsize": 16, "nhid": 32}, "emsize .16. must equal nhid .32."),
    ({"dropout": 1.0}, "dropout must be a probability"),
    ({"activations": ["tanh", "gelu"]}, "activations must be"),
    ({"output": "mean_last"}, "output must be one of"),
    ({"nodes": 0}, "nodes must be an integer"),
    ({"init_range": 0}, "init_range must be"),
])
def test_bad_settings_are_refused(bad, message):
    with pytest.raises(SpaceError, match=message):
        space_from_settings({"kind": "rnn_cell", "name": "x", **bad})


@pytest.mark.parametrize("name", SPACES)
def test_random_genotypes_build_and_train_one_step(name):
    space = small(name)
    rng = random.Random(0)
    seen = set()
    for _ in range(6):
        g = space.sample(RandomChooser(rng))
        seen.add(g.hash)
        model = space.build(g, num_classes=VOCAB, input_size=None).train()
        x = tokens()
        logits, hidden = model(x)
        assert logits.shape == (N, T, VOCAB) and hidden.shape == (1, N, space.settings.nhid)
        loss = F.cross_entropy(logits.reshape(-1, VOCAB), tokens(seed=1).reshape(-1))
        assert torch.isfinite(loss)
        loss.backward()
        assert all(p.grad is not None for p in model.parameters())
        assert model.encoder.weight is model.decoder.weight  # tied
    assert len(seen) == 6


def test_any_vocab_of_two_or_more_and_any_length():
    space = small("rnn_darts")
    g = space.seed_genotype("darts_v2")
    model = space.build(g, num_classes=2).eval()
    assert model(torch.zeros(2, 1, dtype=torch.long))[0].shape == (2, 1, 2)
    with pytest.raises(NasxError, match="vocabulary size"):
        space.build(g, num_classes=1)


@pytest.mark.parametrize("name", SPACES)
def test_hidden_state_carries_across_calls(name):
    space = small(name)
    model = space.build(space.sample(3), VOCAB).eval()
    x = tokens(t=7)
    whole, h_whole = model(x)
    first, h = model(x[:, :3])
    second, h2 = model(x[:, 3:], h.detach())
    assert torch.allclose(torch.cat([first, second], 1), whole, atol=1e-6)
    assert torch.allclose(h2, h_whole, atol=1e-6)
    assert torch.equal(model.init_hidden(4), torch.zeros(1, 4, space.settings.nhid))
    fresh, _ = model(x[:, 3:])  # hidden=None is zeros, so a fresh start differs from the carried state
    assert not torch.allclose(fresh, second)


def test_the_cell_computes_the_reference_formula_and_means_the_right_nodes():
    for name in SPACES:
        space = small(name)
        for seed in range(3):
            g = space.sample(seed)
            model = space.build(g, VOCAB).eval()
            cell = model.rnns[0]
            rec = [tuple(n) for n in g.data["recurrent"]]
            x, h = torch.randn(N, 12), torch.randn(N, 12)
            ours = cell.step(x.mm(cell._W0[:12]), h, None)
            assert torch.allclose(ours, reference_cell_step(cell, x, h, rec, space.concat(g)), atol=1e-6)
            other = [i for i in range(1, len(rec) + 1) if i not in space.concat(g)] or [1]
            assert not torch.allclose(ours, reference_cell_step(cell, x, h, rec, other), atol=1e-4)


def test_mean_loose_ends_averages_exactly_the_nodes_nobody_reads():
    rec = [["tanh", 0], ["relu", 1], ["relu", 2], ["tanh", 2], ["tanh", 2], ["relu", 5], ["tanh", 1], ["relu", 6],
           ["relu", 8], ["relu", 8], ["relu", 8]]
    assert concat_of(rec, "mean_loose_ends") == [3, 4, 7, 9, 10, 11]
    assert concat_of(rec, "mean_all") == list(range(1, 12))
    chain = [["tanh", i] for i in range(11)]
    assert concat_of(chain, "mean_loose_ends") == [11]
    space = small("rnn_enas")
    g = space.genotype({"recurrent": chain})
    cell = space.build(g, VOCAB).eval().rnns[0]
    x, h = torch.randn(N, 12), torch.randn(N, 12)
    out = reference_cell_step(cell, x, h, [tuple(n) for n in chain], [11])  # the chain's last node alone
    assert torch.allclose(cell.step(x.mm(cell._W0[:12]), h, None), out, atol=1e-6)


# ---------------------------------------------------------------- dropouts

def test_dropouts_are_off_in_eval_and_on_in_train():
    space = small("rnn_darts", dropout=0.5, dropouth=0.5, dropoutx=0.5, dropouti=0.5, dropoute=0.5)
    model = space.build(space.seed_genotype("darts_v1"), VOCAB)
    x = tokens()
    model.eval()
    assert torch.equal(model(x)[0], model(x)[0])
    model.train()
    torch.manual_seed(0)
    a = model(x)[0]
    assert not torch.equal(a, model(x)[0])
    torch.manual_seed(0)
    assert torch.equal(a, model(x)[0])  # the masks come from torch's RNG only


def _cell_input(model, x):
    seen = []
    handle = model.rnns[0].register_forward_hook(lambda m, args, out: seen.append(args[0].detach()))
    model(x)
    handle.remove()
    return seen[0]


def test_dropouti_is_one_mask_per_sequence_shared_over_time():
    space = small("rnn_darts", dropouti=0.5, dropoute=0.0)
    model = space.build(space.seed_genotype("darts_v2"), VOCAB).train()
    x = torch.full((4, 6), 5, dtype=torch.long)  # one word everywhere: its embedding is the same at every step
    torch.manual_seed(1)
    emb = _cell_input(model, x)
    zero = emb == 0
    assert zero.any() and (~zero).any()
    assert torch.equal(zero, zero[:, :1].expand_as(zero))  # constant over time
    assert not torch.equal(zero[0], zero[1]) or not torch.equal(zero[1], zero[2])  # per sequence


def test_dropoute_drops_whole_words():
    space = small("rnn_darts", dropouti=0.0, dropoute=0.5)
    model = space.build(space.seed_genotype("darts_v2"), VOCAB).train()
    x = torch.arange(VOCAB).repeat(4, 2)  # every word at several places of every sequence
    torch.manual_seed(2)
    emb = _cell_input(model, x)
    dropped = (emb == 0).all(-1)
    assert dropped.any() and (~dropped).any()
    for word in range(VOCAB):
        at = dropped[x == word]
        assert at.all() or not at.any()  # a dropped word is dropped everywhere in the batch
    kept = emb[~dropped]
    assert torch.allclose(kept, 2 * model.encoder.weight[x[~dropped]].detach())  # scaled by 1/(1-p)


def test_dropoutx_mask_is_shared_over_time():
    space = small("rnn_darts", dropoutx=0.5, dropouth=0.0)
    cell = space.build(space.seed_genotype("darts_v2"), VOCAB).train().rnns[0]
    inputs = torch.randn(4, 6, 12, requires_grad=True)
    torch.manual_seed(3)
    out, _ = cell(inputs, torch.zeros(4, 12))
    out.sum().backward()
    masked = inputs.grad.abs() == 0  # an input unit the mask drops gets no gradient, at any step
    assert masked.any() and (~masked).any()
    assert torch.equal(masked, masked[:, :1].expand_as(masked))


# ---------------------------------------------------------------- genotypes

@pytest.mark.parametrize("mutate,message", [
    (lambda d: d["recurrent"].pop(), "recurrent must list 8 nodes .* got 7 nodes"),
    (lambda d: d.__setitem__("recurrent", "relu"), "recurrent must list 8 nodes .* got str"),
    (lambda d: d["recurrent"].__setitem__(2, ["relu", 3]), "node 3: predecessor 3 must be an earlier node in \\[0, 2\\]"),
    (lambda d: d["recurrent"].__setitem__(0, ["relu", -1]), "node 1: predecessor -1 must be an earlier node"),
    (lambda d: d["recurrent"].__setitem__(4, ["relu", True]), "node 5: predecessor True"),
    (lambda d: d["recurrent"].__setitem__(1, ["gelu", 0]), "node 2: unknown activation 'gelu' \\(space activations"),
    (lambda d: d["recurrent"].__setitem__(1, ["relu"]), "node 2: expected \\[activation, predecessor\\]"),
    (lambda d: d.__setitem__("concat", [1, 2]), "concat \\[1, 2\\] does not match the space's output mean_all"),
    (lambda d: d.__setitem__("steps", 8), "needs the key 'recurrent'"),
    (lambda d: d.pop("recurrent"), "needs the key 'recurrent'"),
])
def test_malformed_genotypes_get_precise_errors(mutate, message):
    space = get_space("rnn_darts")
    d = space.seed_genotype("darts_v2").data
    mutate(d)
    with pytest.raises(GenotypeError, match=message):
        space.genotype(d)


def test_published_cells_load_as_seeds():
    darts, enas = get_space("rnn_darts"), get_space("rnn_enas")
    assert darts.seed_names() == ["darts_v1", "darts_v2"] and enas.seed_names() == ["enas", "enas_authors"]
    v2 = darts.seed_genotype("darts_v2")  # quark0/darts rnn/genotypes.py
    assert v2.data["recurrent"][:3] == [["sigmoid", 0], ["relu", 1], ["relu", 1]]
    assert darts.concat(v2) == list(range(1, 9))
    assert darts.genotype({**v2.data, "concat": list(range(1, 9))}) == v2  # DARTS's own concat is accepted
    e = enas.seed_genotype("enas")
    assert enas.concat(e) == [2, 5, 6, 9, 10, 11]  # DARTS's ENAS concat: exactly the loose ends
    # the ENAS authors' scripts/ptb_final.sh fixed_arc: a[0] node 0's activation, then (predecessor, activation)
    fixed_arc = "0 0 0 1 1 2 1 2 0 2 0 5 1 1 0 6 1 8 1 8 1 8 1"
    arc = [int(v) for v in fixed_arc.split(" ")]
    funcs = ["tanh", "relu", "identity", "sigmoid"]
    assert funcs[arc[0]] == "tanh"  # the DARTS form's fixed node 0
    rec = [[funcs[arc[k + 1]], arc[k]] for k in range(1, len(arc), 2)]
    assert enas.seed_genotype("enas_authors") == enas.genotype({"recurrent": rec})
    with pytest.raises(GenotypeError, match="recurrent must list 8 nodes"):
        darts.genotype(e.data)  # ENAS's cell has 11 nodes: not a DARTS-space cell
    with pytest.raises(SpaceError, match="no seed architecture 'enas' .enas is a seed of rnn_enas.; available: "
                                         "darts_v1, darts_v2"):
        darts.seed_genotype("enas")


def test_encode_mutate_sample_and_strings():
    for name in SPACES:
        space = get_space(name)
        g = space.sample(5)
        v = space.encode(g)
        assert v.shape == (space.encoding_size,) and v.sum() == len(space.decisions())
        m = space.mutate(g, 1)
        before, after = space.choices(g), space.choices(m)
        assert m.hash != g.hash and sum(before[k] != after[k] for k in before) == 1  # one decision changed
        assert space.from_choices(space.choices(g)) == g
        assert space.from_string(space.to_string(g)) == g


def test_darts_v2_at_final_size_has_the_papers_23m_parameters():
    space = get_space("rnn_darts").with_network(nhid=850, dropoute=0.1)
    model = space.build(space.seed_genotype("darts_v2"), num_classes=10000)
    assert count_params(model) == 22_960_000  # DARTS Table 2: 23M


# ---------------------------------------------------------------- baselines

def test_baselines_follow_the_contract():
    from nasx.lm_baselines import create_lm_baseline, lm_baseline_names

    assert lm_baseline_names() == ["gru", "lstm", "lstm2"]
    x = tokens(t=7)
    for name in lm_baseline_names():
        model = create_lm_baseline(name, VOCAB, emsize=10, nhid=14 if name == "lstm2" else None, init_range=0.3)
        model.train()
        logits, _ = model(x)
        assert logits.shape == (N, 7, VOCAB) and model.encoder.weight is model.decoder.weight
        F.cross_entropy(logits.reshape(-1, VOCAB), x.reshape(-1)).backward()
        model.eval()
        assert torch.equal(model(x)[0], model(x)[0])
        whole, _ = model(x)
        a, h = model(x[:, :4])
        h = tuple(t.detach() for t in h) if isinstance(h, tuple) else h.detach()
        b, _ = model(x[:, 4:], h)
        assert torch.allclose(torch.cat([a, b], 1), whole, atol=1e-6)
        init = model.init_hidden(N)
        flat = init if isinstance(init, tuple) else (init,)
        assert all(isinstance(t, torch.Tensor) and not t.any() for t in flat)
        assert len(flat) == {"gru": 1, "lstm": 2, "lstm2": 4}[name]
    with pytest.raises(NasxError, match="unknown language-model baseline 'lstm3'.*known: gru, lstm, lstm2"):
        create_lm_baseline("lstm3", VOCAB)
    with pytest.raises(NasxError, match="nhid 20 must equal it"):
        create_lm_baseline("lstm", VOCAB, emsize=10, nhid=20)


def test_baseline_recurrent_dropout_runs_the_same_weights_step_by_step():
    from nasx.lm_baselines import create_lm_baseline

    for name in ("lstm", "gru"):
        model = create_lm_baseline(name, VOCAB, emsize=8, dropout=0, dropouth=0, dropoutx=0, dropouti=0).train()
        x = tokens()
        fused = model(x)[0]
        model.rnns[0].dropouth = 1e-9  # a mask of ones (up to 1e-9): the step-by-step path
        assert torch.allclose(model(x)[0], fused, atol=1e-5)


def test_size_to_params_lands_within_ten_percent():
    from nasx.lm_baselines import baseline_params, create_lm_baseline, size_to_params

    for name, target in (("lstm", 200_000), ("lstm2", 300_000), ("gru", 150_000)):
        s = size_to_params(name, 1000, target)
        model = create_lm_baseline(name, 1000, emsize=s, nhid=s)
        assert count_params(model) == baseline_params(name, 1000, s)
        assert abs(count_params(model) - target) <= 0.1 * target, (name, s, count_params(model))


# ---------------------------------------------------------------- export

@pytest.mark.parametrize("name", SPACES)
def test_exported_code_rebuilds_the_same_model(name):
    from nasx.export.codegen import generate
    from nasx.export.render import ModelInfo, render
    from nasx.inputs import InputSpec

    space = small(name, dropoute=0.1)
    g = space.sample(11)
    gen = generate(space, g)
    info = ModelInfo("test", g.data, 0, None, VOCAB, InputSpec((T,), vocab=VOCAB), "tests", False)
    text = render(gen, info)
    assert "import nasx" not in text and "from nasx" not in text
    namespace = {"__name__": "exported_rnn_model"}
    exec(compile(text, "model.py", "exec"), namespace)  # noqa: S102 - the audited, generated model.py
    net = namespace["build"]()
    model = space.build(g, num_classes=VOCAB)
    net.load_state_dict(model.state_dict(), strict=True)
    assert net.dropoute == 0.1 and net.rnns[0].recurrent == model.rnns[0].recurrent
    net.eval(), model.eval()
    x = tokens()
    assert torch.equal(net(x)[0], model(x)[0])


def test_exporter_refuses_unvalidated_values():
    import copy

    from nasx.export.rnn import emit_rnn_cell

    space = copy.copy(small("rnn_darts"))
    g = space.sample(1)
    space.settings = copy.copy(space.settings)
    space.settings.dropout = "0.5); import os; ("
    with pytest.raises(NasxError, match="dropout"):
        emit_rnn_cell(space, g)
