"""ENAS on recurrent cells (the PTB half of Pham et al. 2018): supernet paths equal standalone
children, the recurrent controller samples valid cells, the search resumes exactly, and a search
end to end journals a derived cell and re-ranked children with val_bpc (lower is better)."""

import json
import random

import pytest
import torch
from searchutil import journal, write_config

from nasx.enas import build_supernet, child_from_supernet
from nasx.enas.controller import Controller, Reinforce, build_controller
from nasx.enas.kinds import supernet_kinds
from nasx.enas.lm_search import RecurrentEnasSearch
from nasx.enas.options import EnasOptions
from nasx.enas.rnn_controller import RecurrentController
from nasx.enas.runner import CHECKPOINT, load_enas_checkpoint, save_enas_checkpoint
from nasx.errors import ConfigError
from nasx.lm import LMTask
from nasx.spaces import get_space
from nasx.text import load_corpus

torch.set_num_threads(1)

RNN_SPACES = ("rnn_darts", "rnn_enas")
VOCAB = 11


def _tiny(name, **over):
    return get_space(name).with_network(hidden=12, **over)


@pytest.fixture(scope="module")
def text_file(tmp_path_factory):
    """A small patterned text (its 5% validation split is ~2,000 characters): fast to score."""
    rng = random.Random(0)
    words = (["the", "king", "a"], ["king", "queen"], ["speaks", "loves", "sees"], ["a", "the"], ["ghost", "crown"])
    lines = [" ".join(rng.choice(w) for w in words) + "." for _ in range(1500)]
    path = tmp_path_factory.mktemp("text") / "corpus.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# ---------------------------------------------------------------- supernet


@pytest.mark.parametrize("per_activation", [False, True])
@pytest.mark.parametrize("name", RNN_SPACES)
def test_every_supernet_path_equals_its_standalone_child(name, per_activation):
    torch.manual_seed(0)
    space = _tiny(name)
    net = build_supernet(space, num_classes=VOCAB)
    if per_activation:  # the enas_lm variant: one weight per (node, predecessor, activation)
        net = type(net)(space, VOCAB, per_activation=True)
    with torch.no_grad():
        for p in net.parameters():
            p.add_(0.1 * torch.randn_like(p))
    x, h = torch.randint(0, VOCAB, (3, 9)), 0.5 * torch.randn(1, 3, 12)
    for seed in range(4):
        g = space.sample(seed)
        child = child_from_supernet(net, g)
        assert type(child) is type(space.build(g, num_classes=VOCAB))
        net.eval(), child.eval()
        with torch.no_grad():
            (a, ha), (b, hb) = net(x, h, g), child(x, h)
        torch.testing.assert_close(a, b, rtol=0, atol=1e-6)
        torch.testing.assert_close(ha, hb, rtol=0, atol=1e-6)
        net.train(), child.train()  # every variational dropout drawn in the same order as the child's
        with torch.no_grad():
            torch.manual_seed(seed)
            a, _ = net(x, h, g)
            torch.manual_seed(seed)
            b, _ = child(x, h)
        torch.testing.assert_close(a, b, rtol=0, atol=1e-6)
    assert sum(p.numel() for p in child.parameters()) < sum(p.numel() for p in net.parameters())


def test_weights_are_shared_per_node_and_predecessor_not_per_activation():
    torch.manual_seed(0)
    space = _tiny("rnn_darts")
    net = build_supernet(space, num_classes=VOCAB)
    rec = [list(n) for n in space.sample(0).data["recurrent"]]
    a = [[act, pred] for act, pred in rec]
    a[3] = ["tanh", 1]
    b = [list(n) for n in a]
    b[3] = ["relu", 1]  # node 4: same predecessor, another activation -> the same weight
    c = [list(n) for n in a]
    c[3] = ["tanh", 2]  # another predecessor -> another weight
    wa, wb, wc = (child_from_supernet(net, space.genotype({"recurrent": r})).rnns[0]._Ws[3] for r in (a, b, c))
    assert torch.equal(wa, wb) and not torch.equal(wa, wc)
    assert [tuple(w.shape) for w in net.cell.ws][:3] == [(1, 1, 12, 24), (1, 2, 12, 24), (1, 3, 12, 24)]


def test_recurrent_kind_has_its_own_supernet_registry():
    assert "rnn_cell" in supernet_kinds() and {"cells", "nb201", "macro"} <= set(supernet_kinds())


# ---------------------------------------------------------------- controller


@pytest.mark.parametrize("reference", [True, False])
def test_controller_samples_valid_cells_and_scores_them(reference):
    torch.manual_seed(0)
    space = get_space("rnn_darts")
    opts = EnasOptions.from_dict({"reference_controller": reference}, "rnn_cell")
    ctl = build_controller(space, opts)
    assert isinstance(ctl, RecurrentController if reference else Controller)
    g = torch.Generator().manual_seed(0)
    keys = [k for k, _ in space.decisions()]
    for _ in range(20):
        s = ctl.sample(g)
        assert space.genotype(s.genotype.data).hash == s.genotype.hash  # valid and canonical
        assert list(s.choices) == keys and space.from_choices(s.choices).hash == s.genotype.hash
        again = ctl.score(s.choices)
        torch.testing.assert_close(again.log_prob, s.log_prob)
        assert float(s.entropy.detach()) > 0


def test_recurrent_controller_follows_enas_lm():
    """Attention over earlier nodes with the (i - j)^2 / 6 distance penalty: untrained, recent
    predecessors are likelier; REINFORCE moves it toward a rewarded activation."""
    torch.manual_seed(0)
    space = get_space("rnn_darts")
    ctl = RecurrentController(space, hidden=16, temperature=5.0, tanh_constant=2.25)
    g = torch.Generator().manual_seed(1)
    preds = [ctl.sample(g).genotype.data["recurrent"][7][1] for _ in range(200)]
    assert preds.count(7) > preds.count(0) * 5
    rl = Reinforce(ctl, lr=0.05, entropy_weight=0.0, baseline_decay=0.9, batch=4)

    def share():  # the fraction of relu nodes among 50 sampled cells
        return sum(a == "relu" for _ in range(50) for a, _ in ctl.sample(g).genotype.data["recurrent"]) / 400

    before = share()
    for _ in range(30):
        rl.step(lambda gen: sum(a == "relu" for a, _ in gen.data["recurrent"]) / 8, g)
    assert share() > before + 0.2


def test_rnn_options_default_to_enas_lm_and_foreign_options_are_one_line():
    o = EnasOptions.from_dict({}, "rnn_cell")
    assert (o.temperature, o.tanh_constant, o.controller_lr, o.baseline_decay, o.entropy_weight) == (
        5.0, 2.25, 5e-5, 0.999, 1e-5)
    assert (o.controller_batch, o.controller_steps, o.lstm_hidden, o.reward_constant) == (10, 25, 64, 80.0)
    with pytest.raises(ConfigError, match="lr_t0 do not apply to rnn_cell spaces"):
        EnasOptions.from_dict({"lr_t0": 10}, "rnn_cell")
    with pytest.raises(ConfigError, match="reward_constant do not apply to cells spaces"):
        EnasOptions.from_dict({"reward_constant": 10}, "cells")
    with pytest.raises(ConfigError, match="reward_constant must be > 0"):
        EnasOptions.from_dict({"reward_constant": 0}, "rnn_cell")


# ---------------------------------------------------------------- search


def _search(text_file, **opts):
    space = _tiny("rnn_darts")
    task = LMTask.from_dict({"data": f"text:{text_file}", "batch_size": 16, "max_train": 2000, "device": "cpu"})
    corpus = load_corpus(task.data, task.level, task.vocab_size, task.max_train)
    options = EnasOptions.from_dict({"controller_steps": 2, "controller_batch": 2, "controller_lr": 0.01,
                                     "derive_samples": 4, **opts}, "rnn_cell")
    return RecurrentEnasSearch(space, corpus, task, options)


def test_search_resumes_exactly_and_derives_by_lowest_bpc(text_file, tmp_path):
    straight = _search(text_file)
    a1, a2 = straight.train_epoch(), straight.train_epoch()
    assert a1["steps"] > 0 and a1["reward"] == pytest.approx(80.0 / a1["val_ppl"], rel=0.5)
    first = _search(text_file)
    first.train_epoch()
    save_enas_checkpoint(tmp_path / CHECKPOINT, first, "fp", 1.0)
    resumed = _search(text_file)
    assert load_enas_checkpoint(tmp_path / CHECKPOINT, resumed, "fp") == 1.0 and resumed.epoch == 1
    b2 = resumed.train_epoch()
    timing = ("seconds", "shared_seconds", "controller_seconds")
    assert {k: v for k, v in a2.items() if k not in timing} == {k: v for k, v in b2.items() if k not in timing}
    for k, v in straight.supernet.state_dict().items():
        assert torch.equal(v, resumed.supernet.state_dict()[k]), k
    derived = straight.rank()
    bpcs = [r["shared_val_bpc"] for r in derived]
    assert bpcs == sorted(bpcs) and len(derived) <= 4  # lower is better: best first
    assert straight.shared_metrics(derived[0])["val_bpc"] == bpcs[0]


def test_enas_search_end_to_end_journals_recurrent_cells_with_val_bpc(run_cli, tmp_path, text_file):
    cfg = write_config(tmp_path, space="rnn_darts", strategy="enas", budget="10trials", executor="inprocess",
                       data=f"text:{text_file}", epochs=2, network={"hidden": 12},
                       task={"latency": False, "max_train": 2000, "batch_size": 16},
                       strategy_options={"enas_epochs": 2, "controller_steps": 2, "controller_batch": 2,
                                         "derive_samples": 6, "derive_top_k": 2, "derive_epochs": 1})
    run = tmp_path / "run"
    rc, out, err = run_cli("search", "--config", cfg, "--run-dir", run)
    assert rc == 0, err
    trials = journal(run)
    assert [t["meta"].get("runner") for t in trials] == ["enas", None, None, None]
    enas, children, final = trials[0], trials[1:3], trials[3]
    assert enas["status"] == "ok" and "val_bpc" not in enas["metrics"]  # a shared-weight score is no result
    shared = [d["shared_val_bpc"] for d in enas["metrics"]["derived"]]
    assert shared == sorted(shared)
    assert enas["metrics"]["supernet_steps"] > 0 and enas["metrics"]["enas_epochs_done"] == 2
    space = get_space("rnn_darts")
    for t in (*children, final):
        assert t["status"] == "ok" and t["metrics"]["val_bpc"] > 0 and t["metrics"]["val_ppl"] > 1
        assert len(space.genotype({"recurrent": t["genotype"]["recurrent"]}).data["recurrent"]) == 8
    assert [c["meta"]["shared_val_bpc"] for c in children] == shared
    best = min(children, key=lambda c: c["metrics"]["val_bpc"])  # lower is better
    assert final["meta"]["derive_final"] == best["meta"]["derive_rank"] and final["metrics"]["epochs_done"] == 2
    report = json.loads((run / "enas" / "rerank.json").read_text())
    assert report["metric"] == "val_bpc" and report["best"] == best["id"] and report["pairs"] == 2
    history = json.loads((run / "enas" / "history.json").read_text())
    assert {"reward", "val_bpc", "entropy", "baseline", "train_loss"} <= set(history[0])
    rc, out, err = run_cli("show", run)
    assert rc == 0 and "vs proxy val bits/token" in " ".join(out.split())


def test_runner_derives_and_retrains_one_cell_with_the_lm_metrics(tmp_path, text_file):
    from nasx.enas.runner import run_enas
    from nasx.evaluate import TrialSpec

    task = LMTask.from_dict({"data": f"text:{text_file}", "epochs": 1, "batch_size": 16, "max_train": 2000,
                             "latency": False, "device": "cpu"}).to_dict()
    spec = TrialSpec.build(trial_id="enas-00000", runner="enas", genotype=get_space("rnn_darts").sample(0).to_dict(),
                           task=task, network={"hidden": 12}, run_dir=str(tmp_path),
                           meta={"runner": "enas", "enas": EnasOptions.from_dict(
                               {"enas_epochs": 1, "controller_steps": 1, "derive_samples": 3}, "rnn_cell").to_dict()})
    reports = []
    out = run_enas(spec, lambda e, m: reports.append(m))
    assert out.status == "ok", out.reason
    assert reports and {"val_bpc", "val_ppl", "reward", "entropy"} <= set(reports[0])
    m = out.metrics
    assert m["val_bpc"] > 0 and m["test_bpc"] > 0 and m["epochs_done"] == 1 and m["shared_val_bpc"] > 0
    derived = json.loads((tmp_path / "enas" / "derived.json").read_text())
    assert derived[0]["genotype"] == out.genotype and out.genotype["space"] == "rnn_darts"
    assert out.build["num_classes"] == load_corpus(f"text:{text_file}").vocab_size
