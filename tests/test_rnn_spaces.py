"""Recurrent-cell spaces (DARTS's and ENAS's), their language model, the LSTM/GRU baselines and the
export emitter: the network contract a trainer is written against, checked on tiny sizes; the
published recurrent cells (darts_v1_rnn, darts_v2_rnn, enas_rnn) as named genotypes; `nasx describe`
on a token model."""

from __future__ import annotations

import json
import random

import pytest
import torch
import torch.nn.functional as F

from nasx.errors import GenotypeError, NasxError, SpaceError
from nasx.measure import count_params
from nasx.spaces import RandomChooser, get_space, read_genotype, space_from_settings
from nasx.spaces.published import published_genotype, published_names
from nasx.spaces.rnn import concat_of

VOCAB, N, T = 17, 3, 5
SMALL = {"hidden": 12, "init_range": 0.3}  # embedding follows hidden while tied
# the first ENAS code's form (12 nodes with node 0, the mean of the loose ends), as a user space
LOOSE = {"kind": "rnn_cell", "name": "enas_loose_ends", "nodes": 11, "output": "mean_loose_ends"}
SPACES = ("rnn_darts", "rnn_enas", "loose")
ENAS_LM_FUNCS = ["tanh", "relu", "sigmoid", "identity"]  # enas_lm src/fixed_lib.py _select_function ids 0-3


def space_of(name):
    return space_from_settings(LOOSE) if name == "loose" else get_space(name)


def small(name, **kw):
    return space_of(name).with_network(**{**SMALL, **kw})


def decode_enas_lm_arc(fixed_arc: str) -> list:
    """enas_lm's fixed_arc: (predecessor, function id) per node after node 0."""
    arc = [int(v) for v in fixed_arc.split()]
    return [[ENAS_LM_FUNCS[arc[k + 1]], arc[k]] for k in range(0, len(arc), 2)]


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
    assert (s.nodes, s.output, s.embedding, s.hidden, s.tied) == (8, "mean_all", 300, 300, True)
    assert (s.dropout, s.dropouth, s.dropoutx, s.dropouti, s.dropoute, s.init_range) == (0.75, 0.25, 0.75, 0.2, 0, 0.04)
    assert set(s.activations) == {"tanh", "relu", "sigmoid", "identity"}
    # ENAS as enas_lm has it: src/child.py's search settings, 8 nodes, the mean of all nodes
    es = e.settings
    assert (es.nodes, es.output, es.embedding, es.hidden, es.tied) == (8, "mean_all", 200, 200, True)
    assert (es.dropout, es.dropouth, es.dropoutx, es.dropouti, es.dropoute, es.init_range) == (
        0.75, 0.25, 0.75, 0.2, 0.1, 0.04)  # drop_o, drop_l, drop_x, drop_i, drop_e
    assert es.activations == ENAS_LM_FUNCS  # a decision's option index is enas_lm's function id
    assert [k for k, _ in d.decisions()][:4] == ["node1_pred", "node1_act", "node2_pred", "node2_act"]
    assert d.size() == e.size() == 40320 * 4 ** 8 and len(d.decisions()) == 16
    assert d.network_keys == e.network_keys == ("embedding", "hidden", "dropout", "dropouth", "dropoutx", "dropouti",
                                                "dropoute", "tied", "init_range")
    big = d.with_network(hidden=850, dropoute=0.1)  # tied: embedding follows hidden
    assert (big.settings.embedding, big.settings.hidden, big.settings.dropoute, big.name) == (850, 850, 0.1, "rnn_darts")
    untied = d.with_network(tied=False, hidden=64)  # untied: embedding keeps its own size
    assert (untied.settings.embedding, untied.settings.hidden) == (300, 64)


@pytest.mark.parametrize("bad,message", [
    ({"embedding": 16, "hidden": 32}, "embedding .16. must equal hidden .32. while tied is true"),
    ({"tied": "no"}, "tied must be true or false"),
    ({"hidden": 0}, "hidden must be an integer"),
    ({"emsize": 300}, "unknown key.s. emsize"),
    ({"seeds": {"x": "darts_v9_rnn"}}, "seed x: 'darts_v9_rnn' is no published recurrent cell"),
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
        assert logits.shape == (N, T, VOCAB) and hidden.shape == (1, N, space.settings.hidden)
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
    assert torch.equal(model.init_hidden(4), torch.zeros(1, 4, space.settings.hidden))
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
    space = small("loose")
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


ENAS_LM_ARC = "0 2 1 0 2 1 2 2 4 0 5 0 3 2 6 2"  # google-research enas_lm/README.md, ENAS's cell
ENAS_LM_DARTS_ARC = "0 2 1 1 1 1 1 3 2 0 5 2 3 0 5 1"  # the same README: "the architecture found by DARTS"
PUBLISHED_RNN = {"darts_v1_rnn": "rnn_darts", "darts_v2_rnn": "rnn_darts", "enas_rnn": "rnn_enas"}


def test_published_recurrent_cells_resolve_in_their_spaces_and_build():
    assert published_names("rnn_cell") == sorted(PUBLISHED_RNN)
    assert not set(PUBLISHED_RNN) & set(published_names("cells"))
    for name, space_name in PUBLISHED_RNN.items():
        g = read_genotype(name)  # what --genotype NAME reads
        assert g.space == space_name and g == published_genotype(name)
        space = get_space(space_name)
        assert space.seed_genotype(name) == g  # what --seed-arch NAME asks
        assert space.concat(g) == list(range(1, 9))  # both spaces average every node
        model = small(space_name).build(g, num_classes=VOCAB).eval()
        assert model(tokens())[0].shape == (N, T, VOCAB)
    assert read_genotype("darts_v2").space == "cells"  # the CNN cell keeps its name
    # the cells of one rnn_cell space fit the other (same node count and activations), by explicit choice
    assert published_genotype("enas_rnn", "rnn_darts").space == "rnn_darts"
    assert read_genotype("darts_v2_rnn", "rnn_enas").space == "rnn_enas"
    with pytest.raises(GenotypeError, match="darts_v2_rnn is a recurrent cell; space cells is of kind cells"):
        published_genotype("darts_v2_rnn", "cells")
    with pytest.raises(GenotypeError, match="darts_v2 is a NASNet-style cell; space rnn_darts is of kind rnn_cell"):
        published_genotype("darts_v2", "rnn_darts")
    with pytest.raises(GenotypeError, match="did you mean darts_v2_rnn"):
        read_genotype("darts_v2_rn")
    with pytest.raises(GenotypeError, match="enas_rnn cannot be expressed in space enas_loose_ends.*11 nodes"):
        published_genotype("enas_rnn", space_of("loose"))


def test_published_recurrent_cells_are_the_reference_codes():
    darts, enas = get_space("rnn_darts"), get_space("rnn_enas")
    v2 = read_genotype("darts_v2_rnn")  # quark0/darts rnn/genotypes.py DARTS_V2
    assert v2.data["recurrent"] == [["sigmoid", 0], ["relu", 1], ["relu", 1], ["identity", 1], ["tanh", 2],
                                    ["sigmoid", 5], ["tanh", 3], ["relu", 5]]
    assert read_genotype("darts_v1_rnn").data["recurrent"] == [
        ["relu", 0], ["relu", 1], ["tanh", 2], ["relu", 3], ["relu", 4], ["identity", 1], ["relu", 5], ["relu", 1]]
    assert darts.genotype({**v2.data, "concat": list(range(1, 9))}) == v2  # DARTS's own concat is accepted
    # enas_lm's README runs DARTS's cell as a fixed arc: it decodes to DARTS_V2 (two transcriptions agree)
    assert decode_enas_lm_arc(ENAS_LM_DARTS_ARC) == v2.data["recurrent"]
    assert read_genotype("enas_rnn").data["recurrent"] == decode_enas_lm_arc(ENAS_LM_ARC)
    # the spaces' YAML seeds are DARTS's / ENAS's own short names for the same cells
    assert darts.seed_names() == ["darts_v1", "darts_v2"] and enas.seed_names() == ["enas"]
    assert darts.seed_genotype("darts_v2") == v2 and enas.seed_genotype("enas") == read_genotype("enas_rnn")
    with pytest.raises(SpaceError, match="no seed architecture 'enas' .enas is a seed of rnn_enas.; available: "
                                         "darts_v1, darts_v2; published recurrent cells: darts_v1_rnn"):
        darts.seed_genotype("enas")


def test_the_withdrawn_enas_cell_fits_a_user_space_of_its_form():
    """melodyguan/enas (whose README withdraws its PTB code): 12 nodes with node 0, the mean of the loose
    ends. DARTS's transcription (rnn/genotypes.py ENAS) and the authors' ptb_final.sh fixed_arc build in a
    user space of that form; the bundled rnn_enas follows enas_lm instead."""
    loose = space_of("loose")
    darts_enas = [["tanh", 0], ["tanh", 1], ["relu", 1], ["tanh", 3], ["tanh", 3], ["relu", 3], ["relu", 4],
                  ["relu", 7], ["relu", 8], ["relu", 8], ["relu", 8]]
    g = loose.genotype({"recurrent": darts_enas, "concat": [2, 5, 6, 9, 10, 11]})  # DARTS's concat = loose ends
    assert loose.concat(g) == [2, 5, 6, 9, 10, 11]
    fixed_arc = "0 0 0 1 1 2 1 2 0 2 0 5 1 1 0 6 1 8 1 8 1 8 1"  # melodyguan/enas scripts/ptb_final.sh
    arc = [int(v) for v in fixed_arc.split()]
    funcs = ["tanh", "relu", "identity", "sigmoid"]  # melodyguan/enas src/ptb/ptb_enas_child.py's ids
    assert funcs[arc[0]] == "tanh"  # node 0's activation: the fixed tanh of the DARTS / enas_lm form
    authors = loose.genotype({"recurrent": [[funcs[arc[k + 1]], arc[k]] for k in range(1, len(arc), 2)]})
    assert loose.concat(authors) == [3, 4, 7, 9, 10, 11]
    with pytest.raises(GenotypeError, match="recurrent must list 8 nodes"):
        get_space("rnn_enas").genotype(g.data)


def test_encode_mutate_sample_and_strings():
    for name in SPACES:
        space = space_of(name)
        g = space.sample(5)
        v = space.encode(g)
        assert v.shape == (space.encoding_size,) and v.sum() == len(space.decisions())
        m = space.mutate(g, 1)
        before, after = space.choices(g), space.choices(m)
        assert m.hash != g.hash and sum(before[k] != after[k] for k in before) == 1  # one decision changed
        assert space.from_choices(space.choices(g)) == g
        assert space.from_string(space.to_string(g)) == g


def test_published_cells_at_their_final_sizes():
    space = get_space("rnn_darts").with_network(hidden=850, dropoute=0.1)  # quark0/darts rnn/train.py
    model = space.build(space.seed_genotype("darts_v2"), num_classes=10000)
    assert count_params(model) == 22_960_000  # DARTS Table 2: 23M
    # enas_lm src/fixed.py (GPU): hidden 800, 10,000 words; its graph has no decoder bias (20,800,000)
    enas = get_space("rnn_enas").with_network(hidden=800)
    assert count_params(enas.build(read_genotype("enas_rnn"), num_classes=10000)) == 20_800_000 + 10_000


def test_untied_decoder_builds_and_trains_one_step():
    space = small("rnn_darts", tied=False, embedding=8, hidden=12)
    model = space.build(space.seed_genotype("darts_v2"), num_classes=VOCAB).train()
    assert model.decoder.weight is not model.encoder.weight and model.decoder.weight.shape == (VOCAB, 12)
    cell = (8 + 12) * 24 + 8 * 12 * 24  # W0: (embedding + hidden) x 2 hidden, then 8 x (hidden x 2 hidden)
    assert count_params(model) == VOCAB * 8 + VOCAB * 12 + VOCAB + cell  # embedding, decoder, bias, cell
    before = {k: v.clone() for k, v in model.state_dict().items()}
    opt = torch.optim.SGD(model.parameters(), lr=1.0)
    logits, hidden = model(tokens())
    assert logits.shape == (N, T, VOCAB) and hidden.shape == (1, N, 12)
    F.cross_entropy(logits.reshape(-1, VOCAB), tokens(seed=1).reshape(-1)).backward()
    opt.step()
    after = model.state_dict()
    assert all(not torch.equal(before[k], after[k]) for k in ("encoder.weight", "decoder.weight", "rnns.0._W0"))
    tied = small("rnn_darts").build(space.seed_genotype("darts_v2"), num_classes=VOCAB)
    assert tied.decoder.weight is tied.encoder.weight


@pytest.mark.parametrize("overrides,message", [
    ({"embedding": 16, "hidden": 32}, "embedding \\(16\\) must equal hidden \\(32\\) while tied is true"),
    ({"tied": "no"}, "tied must be true or false, got 'no'"),
    ({"emsize": 16}, "network setting.s. emsize cannot be overridden; allowed: embedding, hidden"),
    ({"dropouth": 1.5}, "dropouth must be a probability"),
])
def test_bad_network_values_are_one_line_errors(overrides, message):
    with pytest.raises(SpaceError, match=message) as info:
        get_space("rnn_darts").with_network(**overrides)
    assert "\n" not in str(info.value)


def test_describe_a_token_model(run_cli):
    rc, out, err = run_cli("describe", "--genotype", "darts_v2_rnn", "--network", "embedding=850", "--network",
                           "hidden=850", "--num-classes", "10000", "--json")
    assert rc == 0, err
    rec = json.loads(out)
    assert rec["space"] == "rnn_darts" and rec["network"] == {"embedding": 850, "hidden": 850}
    assert rec["params"] == 22_960_000  # beside DARTS's 23M
    # 35 steps x (W0's 2 halves + 8 nodes, each 850 x 1700, + the 850 x 10000 decoder)
    assert rec["macs"] == 35 * (10 * 850 * 1700 + 850 * 10000)
    assert rec["input_size"] == "35 tokens (vocab 10000)"
    rc, out, err = run_cli("describe", "--genotype", "enas_rnn", "--network", "hidden=16", "--network", "tied=false",
                           "--num-classes", "50", "--input-size", "7")
    assert rc == 0, err
    assert "at 7 tokens (vocab 50)" in out
    for args, message in ((("--network", "embedding=850", "--network", "hidden=800"), "must equal hidden"),
                          (("--network", "emsize=850"), "cannot be overridden"),
                          (("--network", "hidden"), "KEY=VALUE"),
                          (("--input-size", "3x32x32"), "take token ids")):
        rc, out, err = run_cli("describe", "--genotype", "darts_v2_rnn", *args)
        assert rc == 2 and message in err and "Traceback" not in err, (args, err)
        assert len(err.strip().splitlines()) == 1


# ---------------------------------------------------------------- baselines

def test_baselines_follow_the_contract():
    from nasx.lm_baselines import create_lm_baseline, lm_baseline_names

    assert lm_baseline_names() == ["gru_lm", "lstm2_lm", "lstm_lm"]
    x = tokens(t=7)
    for name in lm_baseline_names():
        model = create_lm_baseline(name, VOCAB, embedding=10, hidden=14 if name == "lstm2_lm" else None,
                                   init_range=0.3)
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
        assert len(flat) == {"gru_lm": 1, "lstm_lm": 2, "lstm2_lm": 4}[name]
    with pytest.raises(NasxError, match="unknown language-model baseline 'lstm'.*known: gru_lm, lstm2_lm, lstm_lm"):
        create_lm_baseline("lstm", VOCAB)
    with pytest.raises(NasxError, match="hidden 20 must equal it"):
        create_lm_baseline("lstm_lm", VOCAB, embedding=10, hidden=20)
    with pytest.raises(NasxError, match="embedding must be an integer"):
        create_lm_baseline("gru_lm", VOCAB, embedding=0)
    from nasx.tasks import get_task_kind
    from nasx.tasks.language import BASELINE_KEYS

    kind = get_task_kind("language-modelling")
    assert kind.baselines == ("lstm_lm",) and set(kind.baseline_names()) == {"lstm_lm", "lstm2_lm", "gru_lm"}
    assert set(BASELINE_KEYS) <= set(get_space("rnn_darts").network_keys)  # a run's settings a baseline takes
    sizes = {k: v for k, v in get_space("rnn_darts").network_settings().items() if k in BASELINE_KEYS}
    assert count_params(create_lm_baseline("lstm_lm", VOCAB, **sizes)) > 0


def test_baseline_recurrent_dropout_runs_the_same_weights_step_by_step():
    from nasx.lm_baselines import create_lm_baseline

    for name in ("lstm_lm", "gru_lm"):
        model = create_lm_baseline(name, VOCAB, embedding=8, dropout=0, dropouth=0, dropoutx=0, dropouti=0).train()
        x = tokens()
        fused = model(x)[0]
        model.rnns[0].dropouth = 1e-9  # a mask of ones (up to 1e-9): the step-by-step path
        assert torch.allclose(model(x)[0], fused, atol=1e-5)


def test_size_to_params_lands_within_ten_percent():
    from nasx.lm_baselines import baseline_params, create_lm_baseline, size_to_params

    for name, target in (("lstm_lm", 200_000), ("lstm2_lm", 300_000), ("gru_lm", 150_000)):
        s = size_to_params(name, 1000, target)
        model = create_lm_baseline(name, 1000, embedding=s, hidden=s)
        assert count_params(model) == baseline_params(name, 1000, s)
        assert abs(count_params(model) - target) <= 0.1 * target, (name, s, count_params(model))


# ---------------------------------------------------------------- export

@pytest.mark.parametrize("name,network", [*((n, {}) for n in SPACES),
                                          ("rnn_darts", {"tied": False, "embedding": 6})])
def test_exported_code_rebuilds_the_same_model(name, network):
    from nasx.export.codegen import generate
    from nasx.export.render import ModelInfo, render
    from nasx.inputs import InputSpec

    space = small(name, dropoute=0.1, **network)
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
    assert net.tied == space.settings.tied and net.ninp == space.settings.embedding
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
    space.settings.dropout, space.settings.tied = 0.5, "True); import os; ("
    with pytest.raises(NasxError, match="tied"):
        emit_rnn_cell(space, g)
