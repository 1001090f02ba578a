"""Deep Compression: sparsity and masks, weight sharing, storage round trips, LeNet-5 end to end."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from torch import nn

import nasx
from nasx.cli import main
from nasx.compress import huffman, prune, prune_to, read_compact, sensitivity, sparsity, write_compact
from nasx.compress.share import cluster_layer
from nasx.compress.sparse import decode_gaps, encode_gaps
from nasx.compress.storage import decode_layer, encode_layer
from nasx.zoo import create_model

torch.set_num_threads(1)


def small_net() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 8, 3), nn.ReLU(), nn.Flatten(), nn.Linear(8 * 6 * 6, 40), nn.ReLU(),
                         nn.Linear(40, 10))


@pytest.mark.parametrize("mode", ["layerwise", "global"])
def test_pruning_reaches_sparsity_and_masks_survive_finetuning(mode):
    net = small_net()
    for target in prune.schedule(0.9, 3):
        prune_to(net, target, mode)
    assert sparsity(net) == pytest.approx(0.9, abs=1e-3)
    if mode == "layerwise":
        for _, m in prune.prunable_layers(net):
            assert float((m.weight == 0).float().mean()) == pytest.approx(0.9, abs=0.01)
    pruned = {n: (m.weight == 0).clone() for n, m in prune.prunable_layers(net)}
    opt = torch.optim.SGD(net.parameters(), lr=0.5, momentum=0.9, weight_decay=1e-3)
    for _ in range(5):
        loss = nn.functional.cross_entropy(net(torch.randn(16, 1, 8, 8)), torch.randint(0, 10, (16,)))
        opt.zero_grad()
        loss.backward()
        opt.step()
    net(torch.randn(1, 1, 8, 8))  # the pre-hook recomputes weight = orig * mask
    for n, m in prune.prunable_layers(net):
        assert torch.all(m.weight[pruned[n]] == 0)
    prune.make_permanent(net)
    for n, m in prune.prunable_layers(net):
        assert torch.all(m.weight[pruned[n]] == 0) and "weight_orig" not in dict(m.named_parameters())


@pytest.mark.parametrize("bits, huff", [(2, True), (5, True), (5, False), (8, True)])
def test_kmeans_codebook_and_stored_file_decode_exactly(tmp_path, bits, huff):
    net = small_net()
    prune_to(net, 0.8, "global")
    keep = prune.masks(net)
    prune.make_permanent(net)
    encoded = {}
    for name, m in prune.prunable_layers(net):
        s = cluster_layer(m.weight, keep[name], bits)
        shared = s.weight()
        nonzero = shared[keep[name]]
        assert len(torch.unique(nonzero)) <= 2 ** bits
        # linear initialisation spans min..max of the kept weights
        assert s.centroids.min() >= m.weight[keep[name]].min() - 1e-6
        with torch.no_grad():
            m.weight.copy_(shared)
        enc = encode_layer(s, bits, huff)
        assert torch.equal(decode_layer(enc), shared)
        encoded[f"{name}.weight"] = enc
    state = net.state_dict()
    size = write_compact(tmp_path / "m.nasxc", state, encoded)
    assert size == (tmp_path / "m.nasxc").stat().st_size
    back = read_compact(tmp_path / "m.nasxc")
    assert list(back) == list(state) and all(torch.equal(back[k], state[k]) for k in state)


def test_huffman_and_relative_index_round_trips():
    rng = np.random.default_rng(0)
    for alphabet, n in ((2, 1), (32, 1000), (256, 5000)):
        symbols = np.minimum(rng.geometric(0.3, n) - 1, alphabet - 1)
        lengths = huffman.code_lengths(symbols, alphabet)
        data, nbits = huffman.encode(symbols, lengths)
        assert np.array_equal(huffman.decode(data, nbits, n, lengths), symbols)
    skewed = [0] * 90 + [1] * 9 + [2]
    lengths = huffman.code_lengths(skewed, 4)
    assert lengths[0] == 1 and huffman.encode(skewed, lengths)[1] < 2 * len(skewed)
    positions = np.sort(rng.choice(5000, 300, replace=False))
    for b in (1, 3, 4, 8):
        stream = encode_gaps(positions, b)
        assert stream.max() < 2 ** b and np.array_equal(decode_gaps(stream, b), positions)
    assert list(encode_gaps(np.array([20]), 3)) == [7, 7, 6]  # two filler entries, then the gap


def test_lenet5_on_digits_with_defaults_keeps_the_budget_at_10x_smaller(tmp_path, capsys):
    """The issue's command with default settings: per-layer rates, 8-bit conv / 5-bit fc, max-drop 0.01."""
    out = tmp_path / "c"
    rc = main(["compress", "zoo:lenet5", "--data", "digits", "--out", str(out), "--json"])
    r = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert rc == 0, r["budget"]
    assert r["size_before_bytes"] / r["size_after_bytes"] >= 10
    assert r["size_after_bytes"] == (out / "model.nasxc").stat().st_size
    b = r["budget"]
    assert b["met"] and b["val_before"] - b["val_after"] <= 0.01 + 1e-9 and b["extra_epochs"] <= 10
    assert r["acc_after"] >= r["acc_before"] - 0.02, (r["acc_before"], r["acc_after"])  # test: reported, not kept
    by_kind = {(row["kind"], row["bits"]) for row in r["layers"]}
    assert by_kind == {("conv", 8), ("fc", 5)}
    assert all(len(set(torch.unique(t[t != 0]).tolist())) <= 2 ** row["bits"] for row in r["layers"]
               for t in [read_compact(out / "model.nasxc")[row["name"] + ".weight"]])
    rates = {row["name"]: row["sparsity"] for row in r["layers"]}
    assert len({round(v, 2) for v in rates.values()}) > 1  # per-layer, not one uniform rate
    assert all(row["quality"] is not None and row["quality"] >= 0 for row in r["layers"])
    weights = torch.load(out / "weights.pt", weights_only=True)
    compact = read_compact(out / "model.nasxc")
    assert all(torch.equal(weights[k], compact[k]) for k in weights)
    assert float((compact["features.10.weight"] == 0).float().mean()) > 0.5
    exported = nasx.load(out / "export")  # model.py + decompressed weights
    assert torch.equal(exported.state_dict()["features.10.weight"], weights["features.10.weight"])


def test_missed_budget_says_by_how_much_and_writes_what_it_reached(tmp_path, capsys):
    out = tmp_path / "c"
    rc = main(["compress", "zoo:lenet5", "--data", "digits", "--epochs", "3", "--sparsity", "0.99", "--bits", "1",
               "--layerwise", "--steps", "1", "--finetune-epochs", "0", "--max-extra-epochs", "1",
               "--max-drop", "0", "--no-export", "--out", str(out), "--json"])
    captured = capsys.readouterr()
    r = json.loads(captured.out.strip().splitlines()[-1])
    err = captured.err.strip()
    assert rc == 1 and not r["budget"]["met"] and r["budget"]["extra_epochs"] == 1
    assert len(err.splitlines()) == 1 and "accuracy budget not met" in err
    assert f"{100 * r['budget']['drop']:.2f} points lost" in err
    assert (out / "model.nasxc").is_file() and json.loads((out / "compress.json").read_text())["budget"]["met"] is False
    assert {row["bits"] for row in r["layers"]} == {1}  # --bits sets conv and fc both


def test_sensitivity_allocation_prunes_robust_layers_more_and_lands_on_target():
    rates = sensitivity.RATES
    drops = {"robust": [0.0] * len(rates),  # no loss at any rate
             "sensitive": [0.0 if r <= 0.5 else 0.1 * r for r in rates],
             "middle": [0.0 if r <= 0.8 else 0.05 for r in rates]}
    sizes = {"robust": 800, "sensitive": 100, "middle": 100}
    got = sensitivity.allocate(drops, sizes, 0.85)
    assert got["robust"] > got["middle"] > got["sensitive"]
    assert sum(got[n] * sizes[n] for n in sizes) / 1000 == pytest.approx(0.85, abs=1e-9)
    net = create_model("lenet5", input_size=(1, 28, 28))
    grouped = sensitivity.groups(net, prune.prunable_layers(net))
    assert list(grouped) == ["features.1", "features.5.convs", "features.10", "classifier.1", "classifier.3"]
    assert len(grouped["features.5.convs"]) == 16  # C3's per-map convs are one layer, as the paper counts it
    assert sensitivity.grid(5) == sensitivity.RATES and len(sensitivity.grid(66)) == 4
    assert sensitivity.grid(66)[0] == sensitivity.RATES[0] and sensitivity.grid(66)[-1] == sensitivity.RATES[-1]
    w = torch.randn(1000)
    assert sensitivity.quality(w, 0.5) == pytest.approx(float(w.abs().median() / w.std()), rel=0.02)


@pytest.mark.parametrize("args, needle", [
    (["--sparsity", "1.5"], "sparsity must be in [0, 1)"),
    (["--bits", "0"], "bits must be between 1 and 16"),
    (["--data", "nosuchdata"], "unknown data scheme"),
    (["--zoo", "lenet5"], "exactly one of MODEL_OR_RUN or --zoo"),
    (["--max-drop", "2"], "max_drop must be in [0, 1]"),
    (["--bits-conv", "17"], "bits must be between 1 and 16"),
])
def test_cli_bad_inputs_one_line_exit_2(args, needle, tmp_path, capsys):
    base = ["compress", "zoo:lenet5", "--out", str(tmp_path / "c")]
    if "--data" not in args:
        base += ["--data", "digits"]
    rc = main(base + args)
    err = capsys.readouterr().err.strip()
    assert rc == 2 and needle in err and len(err.splitlines()) == 1, err
