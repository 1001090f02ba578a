"""ENAS as published: the micro space (loose-ends output), the faithful macro space, weight sharing
per (node, slot, input, op)."""

import json

import pytest
import torch

from nasx.enas import build_supernet, child_from_supernet
from nasx.errors import GenotypeError, SpaceError
from nasx.spaces import get_space, space_from_settings
from nasx.spaces.cells import loose_ends
from nasx.spaces.published import published_genotype

torch.set_num_threads(1)


def test_enas_micro_is_the_reference_space():
    s = get_space("enas_micro").settings
    assert s.ops == ["sep_conv_3x3", "sep_conv_5x5", "avg_pool_3x3", "max_pool_3x3", "identity"]
    assert (s.blocks, s.separate_reduction, s.concat) == (5, True, "loose_ends")


def test_loose_ends_concat_is_derived_from_the_blocks():
    space = get_space("enas_micro")
    g = published_genotype("enas", space)  # the reference's final arc; reduce: node 3 feeds node 4
    assert "normal_concat" not in g.data and g.data["reduce_concat"] == [2, 4, 5, 6]
    for seed in range(20):
        d = space.sample(seed).data
        for cell in ("normal", "reduce"):
            assert d.get(f"{cell}_concat", list(range(2, 7))) == loose_ends(d[cell])
    blocks = [[0, "identity", 1, "identity"], [2, "identity", 2, "identity"]]
    assert loose_ends(blocks) == [3]


def test_loose_ends_space_refuses_another_concat_and_default_spaces_are_unchanged():
    space = get_space("enas_micro")
    d = dict(published_genotype("enas", space).data)
    with pytest.raises(GenotypeError, match="loose ends"):
        space.genotype({**d, "reduce_concat": [2, 3, 4, 5, 6]})
    cells = get_space("cells")
    g = cells.sample(3)
    assert "normal_concat" not in g.data  # the NASNet convention: every block
    with pytest.raises(SpaceError, match="concat must be one of"):
        space_from_settings({"kind": "cells", "name": "x", "ops": ["identity"], "concat": "some"})


def test_enas_macro_has_the_reference_ops_and_reads_older_genotypes():
    space = get_space("enas_macro")
    assert space.settings.ops == ["conv_3x3", "sep_conv_3x3", "conv_5x5", "sep_conv_5x5", "avg_pool_3x3",
                                  "max_pool_3x3"]
    old = space.genotype({"layers": [["dil_conv_3x3", []]] * 12})  # a run from before the change
    assert old.data["layers"][0][0] == "dil_conv_3x3"
    net = space.with_network(channels=4).build(old, num_classes=3, input_size=(1, 12, 12))
    assert net(torch.randn(2, 1, 12, 12)).shape == (2, 3)
    assert all(op != "dil_conv_3x3" for seed in range(10) for op, _ in space.sample(seed).data["layers"])


def _tiny_micro():
    return get_space("enas_micro").with_network(channels=4, cells_per_stage=1)


def test_micro_supernet_shares_weights_per_node_slot_input_and_op():
    torch.manual_seed(0)
    space = _tiny_micro()
    net = build_supernet(space, num_classes=3, input_size=(1, 12, 12))
    cell = net.cells[0]
    assert [len(cell.edges[j][slot]) for j in range(5) for slot in (0, 1)] == [2, 2, 3, 3, 4, 4, 5, 5, 6, 6]
    g = published_genotype("enas", space)
    d = {k: [list(b) for b in v] if isinstance(v, list) and v and isinstance(v[0], list) else v
         for k, v in g.data.items()}
    d["normal"][4] = [0, "sep_conv_5x5", 1, "sep_conv_5x5"]  # node 4 reads input 0 with sep 5x5
    other = [list(b) for b in d["normal"]]
    other[4] = [1, "sep_conv_5x5", 1, "sep_conv_5x5"]  # the same op on another input
    a = child_from_supernet(net, space.genotype(d), num_classes=3, input_size=(1, 12, 12))
    b = child_from_supernet(net, space.genotype({**d, "normal": other}), num_classes=3, input_size=(1, 12, 12))
    wa = a.cells[0].ops[8].state_dict()
    wb = b.cells[0].ops[8].state_dict()
    assert not all(torch.equal(wa[k], wb[k]) for k in wa)  # another input, another weight set


def test_micro_supernet_trains_and_its_path_equals_the_child():
    torch.manual_seed(0)
    space = _tiny_micro()
    net = build_supernet(space, num_classes=3, input_size=(1, 12, 12))
    opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
    x, y = torch.randn(16, 1, 12, 12), torch.randint(0, 3, (16,))
    for step in range(3):  # real training steps, a new child each
        loss = torch.nn.functional.cross_entropy(net(x, space.sample(step)), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    g = next(space.sample(s) for s in range(50) if len(space.sample(s).data.get("normal_concat", [])) == 2)
    net.eval()
    child = child_from_supernet(net, g, num_classes=3, input_size=(1, 12, 12)).eval()
    with torch.no_grad():
        torch.testing.assert_close(net(x, g), child(x), rtol=0, atol=1e-5)


# ---------------------------------------------------------------- derive with re-ranking

def test_enas_rerank_trains_the_top_k_as_trials_and_logs_kendall_tau(run_cli, tmp_path):
    from searchutil import journal, write_config

    from nasx.enas.strategy import RUNNER

    cfg = write_config(tmp_path, space="enas_micro", strategy="enas", budget="10trials", executor="inprocess",
                       network={"channels": 4, "cells_per_stage": 1}, epochs=2,
                       task={"latency": False, "max_train": 192, "batch_size": 64},
                       strategy_options={"enas_epochs": 1, "controller_steps": 2, "derive_samples": 6,
                                         "derive_top_k": 3, "derive_epochs": 1, "derive_rank_images": 50})
    run = tmp_path / "run"
    rc, out, err = run_cli("search", "--config", cfg, "--run-dir", run)
    assert rc == 0, err
    trials = journal(run)
    assert [t["meta"].get("runner") for t in trials] == [RUNNER, None, None, None, None]
    enas, children, final = trials[0], trials[1:4], trials[4]
    assert "val_acc" not in enas["metrics"] and len(enas["metrics"]["derived"]) == 3
    shared = [d["shared_val_acc"] for d in enas["metrics"]["derived"]]
    assert shared == sorted(shared, reverse=True)
    assert enas["metrics"]["derived_rank_images"] == 50  # ranked on 50 of the val images
    assert all(abs(a * 50 - round(a * 50)) < 1e-5 for a in shared)
    assert [c["meta"]["derive_rank"] for c in children] == [1, 2, 3]
    assert [c["genotype"] for c in children] == [d["genotype"] for d in enas["metrics"]["derived"]]
    assert all(c["fidelity"] == {"epochs": 1} and c["status"] == "ok" for c in children)
    assert [c["meta"]["shared_val_acc"] for c in children] == shared
    report = json.loads((run / "enas" / "rerank.json").read_text())
    assert report["pairs"] == 3 and len(report["children"]) == 3 and report["rank_images"] == 50
    assert report["kendall_tau"] is None or -1 <= report["kendall_tau"] <= 1
    best = max(children, key=lambda c: c["metrics"]["val_acc"])
    assert report["best"] == best["id"]
    # then the best child once more at the search's epochs (retrain: true), the run's take-away cell
    assert final["meta"]["derive_final"] == best["meta"]["derive_rank"] and final["genotype"] == best["genotype"]
    assert final["fidelity"] == {} and final["status"] == "ok" and final["metrics"]["epochs_done"] == 2
    rc, out, err = run_cli("show", run)
    assert rc == 0 and "ENAS re-rank: 3 children" in out and "Kendall tau" in out
    assert "ranked on 50 validation images" in " ".join(out.split())
    # 1 epoch of 192 training images at batch 64: 3 steps, flagged as few
    assert enas["metrics"]["supernet_steps"] == 3 and enas["metrics"]["supernet_batch"] == 64
    assert "ENAS supernet: 1 epoch, 3 SGD steps at batch 64; few" in " ".join(out.split())
    rc, out, err = run_cli("show", run, "--json")
    assert json.loads(out)["enas_rerank"]["best"] == best["id"]
    rc, _, err = run_cli("export", run, "--out", tmp_path / "exported")
    assert rc == 0, err


def test_enas_strategy_replays_the_rerank_queue_on_resume():
    from nasx.enas.strategy import RUNNER
    from nasx.evaluate import Result
    from nasx.strategies import create_strategy

    space = get_space("enas_micro")
    kids = [space.sample(s) for s in range(3)]
    derived = [{"genotype": g.to_dict(), "shared_val_acc": 0.5 - 0.1 * i} for i, g in enumerate(kids)]
    enas_result = Result("ok", None, {"derived": derived, "shared_val_acc": 0.5})

    fresh = create_strategy("enas", space, seed=0, derive_top_k=3, derive_epochs=2)
    p = fresh.ask()
    assert p.meta["runner"] == RUNNER and fresh.ask() is None  # waits for the search
    fresh.tell(p, enas_result)
    asked = [fresh.ask() for _ in range(3)]
    assert [q.genotype.hash for q in asked] == [g.hash for g in kids]
    assert asked[0].fidelity == {"epochs": 2} and asked[2].meta == {"derive_rank": 3, "shared_val_acc": 0.3}
    assert fresh.ask() is None and not fresh.finished  # the children run; the best one's retraining is due
    proxy = [0.6, 0.7, 0.65]
    for q, acc in zip(asked, proxy):
        fresh.tell(q, Result("ok", None, {"val_acc": acc}))
    final = fresh.ask()
    assert final.genotype.hash == kids[1].hash and final.fidelity == {} and final.meta == {"derive_final": 2}
    assert fresh.finished and fresh.ask() is None

    resumed = create_strategy("enas", space, seed=0, derive_top_k=3, derive_epochs=2)
    resumed.observe(p.genotype, enas_result, {}, p.meta, trial_id="enas-00000")
    resumed.observe(kids[0], Result("ok", None, {"val_acc": 0.6}), {"epochs": 2}, asked[0].meta, "enas-00001")
    resumed.resumed(2)
    assert not resumed.finished
    left = [resumed.ask(), resumed.ask()]
    assert [q.genotype.hash for q in left] == [kids[1].hash, kids[2].hash] and not resumed.finished
    resumed.discard(left[1])  # a stop came while it was asked: back in the queue
    assert resumed.ask().genotype.hash == kids[2].hash
    # a run killed after all children: the replayed journal asks for the final retraining only
    again = create_strategy("enas", space, seed=0, derive_top_k=3, derive_epochs=2)
    again.observe(p.genotype, enas_result, {}, p.meta, trial_id="enas-00000")
    for i, (q, acc) in enumerate(zip(asked, proxy), start=1):
        again.observe(q.genotype, Result("ok", None, {"val_acc": acc}), q.fidelity, q.meta, f"enas-{i:05d}")
    again.resumed(4)
    assert again.ask().meta == {"derive_final": 2} and again.finished
    done = create_strategy("enas", space, seed=0, derive_top_k=3, derive_epochs=2)
    for i, (q, res) in enumerate([(p, enas_result)] + [(q, Result("ok", None, {"val_acc": a}))
                                                        for q, a in zip(asked, proxy)] + [(final, Result("ok", None, {}))]):
        done.observe(q.genotype, res, q.fidelity, q.meta, f"enas-{i:05d}")
    assert done.finished and done.ask() is None
    # retrain: false ends with the children; children that all failed leave nothing to retrain
    plain = create_strategy("enas", space, seed=0, derive_top_k=3, derive_epochs=2, retrain=False)
    plain.tell(plain.ask(), enas_result)
    kids_asked = [plain.ask() for _ in range(3)]
    assert plain.finished and plain.ask() is None and all(k is not None for k in kids_asked)
    failed = create_strategy("enas", space, seed=0, derive_top_k=3, derive_epochs=2)
    failed.tell(failed.ask(), enas_result)
    for q in [failed.ask() for _ in range(3)]:
        failed.tell(q, Result("failed", "diverged", {}))
    assert failed.finished and failed.ask() is None


def test_rerank_options_are_checked():
    from nasx.enas.options import EnasOptions
    from nasx.errors import ConfigError

    with pytest.raises(ConfigError, match="derive_top_k must be in"):
        EnasOptions.from_dict({"derive_samples": 4, "derive_top_k": 5})
    with pytest.raises(ConfigError, match="derive_epochs must be >= 1"):
        EnasOptions.from_dict({"derive_epochs": 0})
    with pytest.raises(ConfigError, match=r"derive_rank_images must be >= 0 \(0: the whole validation split\)"):
        EnasOptions.from_dict({"derive_rank_images": -1})
    with pytest.raises(ConfigError, match="derive_rank_images=1.5 is not a valid int"):
        EnasOptions.from_dict({"derive_rank_images": 1.5})
    assert EnasOptions.from_dict({}, "cells").derive_rank_images == 0  # the whole split by default


def test_bad_derive_rank_images_is_one_line(run_cli, tmp_path):
    from searchutil import write_config

    cfg = write_config(tmp_path, space="enas_micro", strategy="enas", budget="2trials", executor="inprocess",
                       strategy_options={"derive_top_k": 1, "derive_rank_images": "many"})
    rc, _, err = run_cli("search", "--config", cfg, "--run-dir", tmp_path / "run")
    assert rc == 2 and "derive_rank_images='many' is not a valid int" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_derive_rank_images_ranks_every_child_on_one_fixed_seeded_subset():
    from nasx.data import load_dataset
    from nasx.enas.options import EnasOptions
    from nasx.enas.trainer import EnasSearch
    from nasx.evaluate import Task

    ds = load_dataset("digits", val_fraction=0.2, max_train=256)
    n_val = len(ds.y_val)
    space = get_space("enas_micro").with_network(channels=4, cells_per_stage=1)

    def search(seed):
        task = Task(data="digits", epochs=1, batch_size=64, latency=False, device="cpu", seed=seed)
        opts = EnasOptions.from_dict({"enas_epochs": 1, "controller_steps": 2, "controller_batch": 2,
                                      "derive_samples": 6, "derive_top_k": 2, "derive_rank_images": 40}, "cells")
        return EnasSearch(space, ds, task, opts)

    s = search(0)
    s.train_epoch()  # real shared-weight training and controller steps
    keep = s.rank_subset(40)
    assert len(keep) == 40 == len(set(keep.tolist())) and 0 <= int(keep.min()) and int(keep.max()) < n_val
    assert torch.equal(keep, s.rank_subset(40))  # fixed: the same images for every child and call
    assert not torch.equal(keep, search(1).rank_subset(40))  # seeded by the task's seed
    assert s.rank_subset(0) is None and s.rank_subset(n_val) is None and s.rank_subset(10 * n_val) is None

    ranked = s.rank_on_val(6, 40)
    accs = [r["shared_val_acc"] for r in ranked]
    assert accs == sorted(accs, reverse=True) and all(abs(a * 40 - round(a * 40)) < 1e-5 for a in accs)
    for r in ranked:  # each is the child's accuracy on exactly those 40 images
        acc, _ = s.accuracy(r["genotype"], ds.x_val[keep], ds.y_val[keep])
        assert r["shared_val_acc"] == pytest.approx(acc, abs=1e-6)
    whole = s.rank_on_val(6)  # 0: the whole split, as before
    assert {r["genotype"].hash for r in whole} == {r["genotype"].hash for r in ranked}
    for r in whole:
        assert r["shared_val_acc"] == pytest.approx(s.val_accuracy(r["genotype"]), abs=1e-6)
        assert abs(r["shared_val_acc"] * n_val - round(r["shared_val_acc"] * n_val)) < 1e-4
    assert s.rank_on_val(6, n_val + 5)[0]["shared_val_acc"] == whole[0]["shared_val_acc"]  # larger: all of it


def test_prescreen_passes_the_enas_children_and_final_through_unscreened():
    """--prescreen with enas: the ENAS trial, its re-ranked children and the final retraining are the
    strategy's own choices; screening them would discard children."""
    from nasx.evaluate import Result
    from nasx.proxies import ProxyCache
    from nasx.strategies import create_strategy
    from nasx.strategies.prescreen import with_prescreen

    space = get_space("enas_micro").with_network(channels=4, cells_per_stage=1)
    kids = [space.sample(s) for s in range(3)]
    derived = [{"genotype": g.to_dict(), "shared_val_acc": 0.5 - 0.1 * i} for i, g in enumerate(kids)]
    s = with_prescreen(create_strategy("enas", space, seed=0, derive_top_k=3, derive_epochs=1), "synflow:3",
                       cache=ProxyCache())
    s.tell(s.ask(), Result("ok", None, {"derived": derived}))
    asked = [s.ask() for _ in range(3)]
    assert [q.genotype.hash for q in asked] == [g.hash for g in kids]  # none discarded, in rank order
    assert all("proxy" not in q.meta for q in asked) and s.screened == 0
    for q, acc in zip(asked, (0.3, 0.2, 0.4)):
        s.tell(q, Result("ok", None, {"val_acc": acc}))
    final = s.ask()
    assert final.meta == {"derive_final": 3} and final.genotype.hash == kids[2].hash and s.finished


def test_supernet_batch_size_option_sets_the_steps_per_epoch():
    """`batch_size` trains the shared weights in batches of its own size (0: the task's), and a
    search with the option differs from one without only in that."""
    from nasx.data import load_dataset
    from nasx.enas.options import EnasOptions
    from nasx.enas.trainer import EnasSearch
    from nasx.errors import ConfigError
    from nasx.evaluate import Task

    ds = load_dataset("digits", val_fraction=0.2, max_train=200)
    space = get_space("enas_micro").with_network(channels=4, cells_per_stage=1)
    task = Task(data="digits", epochs=1, batch_size=64, latency=False, device="cpu", seed=0)
    n = len(ds.y_train)
    steps = {}
    for bs in (0, 16):
        opts = EnasOptions.from_dict({"enas_epochs": 1, "controller_steps": 1, "batch_size": bs}, "cells")
        s = EnasSearch(space, ds, task, opts)
        assert s.train_batches.batch_size == (bs or 64)
        steps[bs] = len(s.train_batches)
        row = s.train_epoch()  # real training: every step's images counted once
        assert 0.0 <= row["train_acc"] <= 1.0 and row["train_loss"] > 0
    assert steps[0] == n // 64 and steps[16] == n // 16 and steps[16] > steps[0]  # train drops the last
    with pytest.raises(ConfigError, match=r"batch_size must be in \[0, 65536\]"):
        EnasOptions.from_dict({"batch_size": -1})


def test_supernet_report_flags_few_steps_only():
    from types import SimpleNamespace as T

    from nasx.enas.rerank import FEW_STEPS, describe_supernet, supernet_report

    def enas(steps):
        return T(meta={"runner": "nasx.enas.runner:run_enas"},
                 metrics={"supernet_steps": steps, "supernet_batch": 32, "enas_epochs_done": 5})

    child = T(meta={"derive_rank": 1}, metrics={"val_acc": 0.5})
    assert supernet_report([child]) is None
    assert supernet_report([T(meta={"runner": "x"}, metrics={"val_acc": 0.1})]) is None  # a run from before the count
    few, enough = supernet_report([enas(FEW_STEPS - 1), child]), supernet_report([enas(FEW_STEPS)])
    assert few["few"] and not enough["few"] and enough == {"epochs": 5, "steps": FEW_STEPS, "batch_size": 32,
                                                            "few": False}
    assert "lower the option batch_size" in describe_supernet(few)
    assert describe_supernet(enough) == f"ENAS supernet: 5 epochs, {FEW_STEPS} SGD steps at batch 32"


def test_kendall_tau():
    from nasx.enas.rerank import kendall_tau

    assert kendall_tau([1, 2, 3], [10, 20, 30]) == 1.0
    assert kendall_tau([1, 2, 3], [3, 2, 1]) == -1.0
    assert kendall_tau([1, 2], [5, 5]) is None
    assert kendall_tau([1], [1]) is None


# ---------------------------------------------------------------- the reference controller

def _tiny_cells(blocks=1, reduction=False):
    return space_from_settings({"kind": "cells", "name": "c", "ops": ["identity", "sep_conv_3x3"], "blocks": blocks,
                                "separate_reduction": reduction, "concat": "loose_ends"})


def test_micro_controller_is_a_distribution_over_choice_sequences():
    import itertools

    from nasx.enas.micro_controller import MicroController

    torch.manual_seed(0)
    space = _tiny_cells(blocks=2)
    ctl = MicroController(space, hidden=8, tanh_constant=1.1, op_tanh_reduce=2.5)
    keys = [k for k, _ in space.decisions()]
    total = 0.0
    with torch.no_grad():
        for combo in itertools.product(*[o for _, o in space.decisions()]):
            total += float(ctl.score(dict(zip(keys, combo))).log_prob.exp())
    assert abs(total - 1.0) < 1e-5
    s = ctl.sample(torch.Generator().manual_seed(1))
    again = ctl.score(s.choices)
    assert torch.allclose(s.log_prob, again.log_prob) and s.genotype.hash == again.genotype.hash


def test_micro_controller_starts_biased_toward_separable_convs_and_uses_shared_op_weights():
    from nasx.enas.controller import build_controller
    from nasx.enas.micro_controller import MicroController
    from nasx.enas.options import EnasOptions

    space = get_space("enas_micro")
    ctl = build_controller(space, EnasOptions.from_dict({}, "cells"))
    assert isinstance(ctl, MicroController) and ctl.hidden == 64
    assert ctl.w_soft.weight.shape == (5, 64) and ctl.w_emb.weight.shape == (5, 64)  # one for all decisions
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        normal = [op for _ in range(100) for blk in ctl.sample(g).choices.items()
                  for op in [blk[1]] if blk[0].startswith("normal.") and ".op" in blk[0]]
    share = sum(op.startswith("sep_conv") for op in normal) / len(normal)
    assert 0.5 < share < 0.8  # reference's biases: ~0.63 at initialisation (uniform would be 0.4)
    generic = build_controller(space, EnasOptions.from_dict({"reference_controller": False}, "cells"))
    assert not isinstance(generic, MicroController)


def test_reinforce_moves_the_micro_controller_to_the_rewarded_ops():
    from nasx.enas.controller import Reinforce
    from nasx.enas.micro_controller import MicroController

    torch.manual_seed(0)
    space = _tiny_cells(blocks=1)
    ctl = MicroController(space, hidden=16, tanh_constant=2.5, op_tanh_reduce=1.0)
    choices = {"normal.b0.in0": 0, "normal.b0.op0": "identity", "normal.b0.in1": 1, "normal.b0.op1": "identity"}
    with torch.no_grad():
        before = float(ctl.score(choices).log_prob)
    rl = Reinforce(ctl, lr=0.05, batch=4)
    g = torch.Generator().manual_seed(0)
    for _ in range(40):
        rl.step(lambda geno: sum(op == "identity" for blk in geno.data["normal"] for op in (blk[1], blk[3])) / 2, g)
    with torch.no_grad():
        assert float(ctl.score(choices).log_prob) > before + 0.5


def test_reference_defaults_per_space_kind_and_user_options_win():
    from nasx.enas.options import EnasOptions

    micro = EnasOptions.from_dict({}, "cells")
    assert (micro.tanh_constant, micro.op_tanh_reduce, micro.controller_batch, micro.controller_steps,
            micro.controller_lr, micro.lstm_hidden, micro.temperature) == (1.1, 2.5, 10, 30, 3.5e-3, 64, 1.0)
    macro = EnasOptions.from_dict({}, "macro")
    assert macro.op_tanh_reduce == 1.0  # unused by the reference macro controller
    assert (macro.tanh_constant, macro.controller_batch, macro.controller_steps, macro.controller_lr,
            macro.skip_target, macro.skip_weight) == (1.5, 20, 50, 1e-3, 0.4, 0.8)
    assert EnasOptions.from_dict({"controller_batch": 2}, "cells").controller_batch == 2
    assert EnasOptions.from_dict({}, "nb201").tanh_constant == 2.5  # no reference script: nasx's defaults


def test_shared_weight_lr_has_the_reference_warm_restarts():
    from nasx.enas.trainer import _cosine_lr

    lr = [_cosine_lr(0.05, e, 0, 10, 100, t0=10, tmul=2, floor=5e-4) for e in (0, 5, 10, 20, 30)]
    assert lr[0] == pytest.approx(0.05) and lr[2] == pytest.approx(0.05)  # restarts after 10 epochs, then 20
    assert lr[1] == pytest.approx((0.05 + 5e-4) / 2) and lr[4] == pytest.approx(0.05)
    assert lr[3] == pytest.approx((0.05 + 5e-4) / 2)
    assert _cosine_lr(0.1, 10, 0, 10, 10) == pytest.approx(0.0)  # t0 = 0: one cosine over the search


def test_enas_micro_cell_trains_with_the_final_protocol_and_exports(run_cli, tmp_path):
    out = tmp_path / "t"
    rc, _, err = run_cli("train", "--genotype", "enas", "--space", "enas_micro", "--recipe", "darts", "--epochs", "1",
                         "--channels", "4", "--cells", "5", "--cutout", "2", "--data", "digits", "--batch-size", "32",
                         "--max-train", "96", "--device", "cpu", "--out", out)
    assert rc == 0, err
    rec = json.loads((out / "metrics.json").read_text())
    assert rec["task"]["drop_path"] > 0 and rec["task"]["auxiliary_weight"] > 0 and rec["task"]["cutout"] == 2
    assert json.loads((out / "genotype.json").read_text())["reduce_concat"] == [2, 4, 5, 6]
    rc, _, err = run_cli("export", out, "--out", tmp_path / "e")
    assert rc == 0, err
    assert "reduce_concat" in (tmp_path / "e" / "model.py").read_text()


def test_enas_macro_trains_with_the_final_protocol_and_exports(run_cli, tmp_path):
    from nasx.spaces import read_genotype

    space = get_space("enas_macro")
    gfile = tmp_path / "g.json"
    gfile.write_text(space.sample(3).to_json())
    out = tmp_path / "t"
    rc, _, err = run_cli("train", "--genotype", gfile, "--recipe", "darts", "--epochs", "1", "--channels", "4",
                         "--cutout", "2", "--data", "digits", "--batch-size", "32", "--max-train", "96",
                         "--device", "cpu", "--out", out)
    assert rc == 0, err
    assert "cells not a setting of this space, skipped" in err
    rec = json.loads((out / "metrics.json").read_text())
    assert rec["build"]["network"] == {"channels": 4, "auxiliary": True} and rec["task"]["drop_path"] > 0
    net = space.with_network(channels=4, auxiliary=True).build(read_genotype(gfile), 10, (1, 8, 8))
    net.train()
    logits, aux = net(torch.randn(4, 1, 8, 8))
    assert logits.shape == aux.shape == (4, 10)
    net.drop_path_prob = 0.999  # every op output dropped: only the skips and BN remain
    torch.manual_seed(0)
    dropped = net(torch.randn(4, 1, 8, 8))[0]
    assert torch.isfinite(dropped).all()
    net.eval()
    assert net(torch.randn(2, 1, 8, 8)).shape == (2, 10)  # no auxiliary output in eval
    rc, _, err = run_cli("export", out, "--out", tmp_path / "e")
    assert rc == 0, err


def _tiny_macro():
    return space_from_settings({"kind": "macro", "name": "m", "ops": ["conv_3x3", "max_pool_3x3"], "layers": 4,
                                "channels": 4, "reduce_after": [1]})


def test_macro_controller_is_a_distribution_and_shares_its_op_softmax():
    import itertools

    from nasx.enas.controller import build_controller
    from nasx.enas.macro_controller import MacroController
    from nasx.enas.options import EnasOptions

    torch.manual_seed(0)
    space = _tiny_macro()
    ctl = build_controller(space, EnasOptions.from_dict({"lstm_hidden": 8}, "macro"))
    assert isinstance(ctl, MacroController) and ctl.w_soft.weight.shape == (2, 8)
    keys = [k for k, _ in space.decisions()]
    with torch.no_grad():
        total = sum(float(ctl.score(dict(zip(keys, c))).log_prob.exp())
                    for c in itertools.product(*[o for _, o in space.decisions()]))
        assert abs(total - 1.0) < 1e-5
        s = ctl.sample(torch.Generator().manual_seed(2))
        assert torch.allclose(ctl.score(s.choices).log_prob, s.log_prob) and s.skip_kl >= 0


def test_skip_kl_pulls_the_macro_controller_toward_the_skip_target():
    from nasx.enas.controller import Reinforce
    from nasx.enas.macro_controller import MacroController

    torch.manual_seed(0)
    space = space_from_settings({"kind": "macro", "name": "m", "ops": ["conv_3x3"], "layers": 6, "channels": 4})
    ctl = MacroController(space, hidden=16, tanh_constant=2.5, skip_target=0.9)
    rl = Reinforce(ctl, lr=0.05, batch=4, skip_weight=5.0)
    g = torch.Generator().manual_seed(0)

    def rate():
        with torch.no_grad():
            samples = [ctl.sample(torch.Generator().manual_seed(100 + i)) for i in range(30)]
        got = [v for s in samples for k, v in s.choices.items() if ".skip" in k]
        return sum(got) / len(got)

    before = rate()
    for _ in range(30):
        rl.step(lambda geno: 0.5, g)  # a constant reward: only the KL term moves it
    assert rate() > before + 0.15


def test_enas_search_epoch_on_the_macro_space_with_its_reference_controller():
    from nasx.data import load_dataset
    from nasx.enas.macro_controller import MacroController
    from nasx.enas.options import EnasOptions
    from nasx.enas.trainer import EnasSearch
    from nasx.evaluate import Task

    ds = load_dataset("digits", val_fraction=0.2, max_train=128)
    task = Task(data="digits", epochs=1, batch_size=64, latency=False, device="cpu")
    opts = EnasOptions.from_dict({"enas_epochs": 1, "controller_steps": 2, "controller_batch": 2,
                                  "derive_samples": 3}, "macro")
    search = EnasSearch(get_space("enas_macro").with_network(channels=4), ds, task, opts)
    assert isinstance(search.controller, MacroController)
    row = search.train_epoch()
    assert 0 <= row["reward"] <= 1 and row["epoch"] == 1
    ranked = search.rank_on_val(3)
    assert [r["shared_val_acc"] for r in ranked] == sorted((r["shared_val_acc"] for r in ranked), reverse=True)
