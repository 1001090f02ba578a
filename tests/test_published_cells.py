"""The published cells and the cell network they are stacked into (issue #14): sizes against the
reference code, concat lists, skeletons, the auxiliary head, drop-path, naming and bad input."""

import json

import pytest
import torch

from nasx import zoo
from nasx.errors import GenotypeError, SpaceError
from nasx.measure import count_macs, count_params
from nasx.spaces import get_space
from nasx.spaces.published import PUBLISHED, published_genotype, published_names


def _net(name, num_classes=10, size=(3, 32, 32), meta=False, **network):
    space = get_space("cells").with_network(**network)
    if meta:
        with torch.device("meta"):
            return space.build(published_genotype(name, space), num_classes, size)
    return space.build(published_genotype(name, space), num_classes, size)


def test_darts_v2_has_the_reference_codes_logged_parameter_count():
    """quark0/darts train.py logs 'param size = 3.349342MB' for DARTS_V2 at C=36, 20 cells (aux not counted)."""
    net = _net("darts_v2", channels=36, cells=20, meta=True)
    assert count_params(net) == PUBLISHED["darts_v2"].figures["cifar10"]["params_exact"] == 3_349_342


def test_darts_v2_imagenet_mobile_size_matches_the_paper():
    net = _net("darts_v2", 1000, (3, 224, 224), meta=True, channels=48, cells=14, skeleton="imagenet")
    assert abs(count_params(net) / 1e6 - 4.7) < 0.05  # DARTS Table 2: 4.7M params


def test_every_published_cell_builds_in_the_cells_space_and_as_a_zoo_model():
    for name in published_names("cells"):
        g = published_genotype(name)
        assert g.space == "cells" and len(g.data["normal"]) in (4, 5)
    names = zoo.list_models("nas_cells")
    assert {"darts_v2", "darts_v2_imagenet", "nasnet_a_mobile", "pnasnet5_mobile", "amoebanet_a_mobile",
            "nasnet_a_large", "pnasnet5_large"} <= set(names)
    with torch.device("meta"):
        assert count_params(zoo.create_model("darts_v2")) == 3_349_342


def test_concat_lists_of_amoebanet_shape_its_cells():
    g = published_genotype("amoebanet_a")
    assert g.data["normal_concat"] == [4, 5, 6] and g.data["reduce_concat"] == [3, 4, 6]
    net = _net("amoebanet_a", channels=8, cells=5)
    assert net.cells[0].c_out == 3 * 8 and net.cells[1].c_out == 3 * 16
    assert net(torch.randn(2, 3, 16, 16)).shape == (2, 10)


def test_pnas_cell_fits_the_one_cell_pnas_space_and_nasnet_does_not():
    g = published_genotype("pnasnet5", "pnas")
    assert set(g.data) == {"normal"}  # concat is all five blocks: the default, dropped
    with pytest.raises(GenotypeError, match="own reduction cell"):
        published_genotype("nasnet_a", "pnas")
    with pytest.raises(GenotypeError, match="kind nb201"):
        published_genotype("darts_v2", "nb201")
    with pytest.raises(GenotypeError, match="did you mean darts_v2"):
        published_genotype("dartz_v2")


def test_published_cells_seed_searches_of_spaces_that_express_them():
    assert get_space("cells").seed_genotype("nasnet_a") == published_genotype("nasnet_a")
    with pytest.raises(SpaceError, match="no seed architecture 'nope'"):
        get_space("cells").seed_genotype("nope")


def test_cells_count_places_reductions_at_thirds_and_rejects_impossible_counts():
    net = _net("darts_v2", meta=True, channels=4, cells=8)
    widths = [cell.c_out for cell in net.cells]
    assert widths == [16, 16, 32, 32, 32, 64, 64, 64]  # reductions at 8//3 = 2 and 16//3 = 5
    with pytest.raises(SpaceError, match="cannot hold 2 reduction cells"):
        get_space("cells").with_network(cells=2)
    with pytest.raises(SpaceError, match="skeleton must be one of"):
        get_space("cells").with_network(skeleton="resnet")


def test_auxiliary_head_in_training_only_and_not_counted():
    plain = _net("darts_v2", channels=8, cells=5)
    aux = _net("darts_v2", channels=8, cells=5, auxiliary=True)
    assert count_params(aux) == count_params(plain)
    assert sum(p.numel() for p in aux.parameters()) > count_params(aux)
    x = torch.randn(3, 3, 32, 32)
    out = aux.train()(x)
    assert isinstance(out, tuple) and out[0].shape == out[1].shape == (3, 10)
    assert aux.eval()(x).shape == (3, 10)
    for side in (8, 28, 40):  # 2x2, 7x7 (Fashion-MNIST), 10x10 at the head
        small = _net("darts_v2", 10, (1, side, side), channels=8, cells=8, auxiliary=True).train()
        assert small(torch.randn(2, 1, side, side))[1].shape == (2, 10)


def test_drop_path_is_stochastic_in_training_and_off_in_eval():
    torch.manual_seed(0)
    net = _net("darts_v2", channels=8, cells=5)
    x = torch.randn(4, 3, 16, 16)
    net.eval()
    ref = net(x)
    net.drop_path_prob = 0.5
    assert torch.equal(net(x), ref)  # eval ignores drop-path
    net.train()
    torch.manual_seed(1)
    a = net(x)
    torch.manual_seed(2)
    b = net(x)
    net.drop_path_prob = 0.0
    torch.manual_seed(1)
    c = net(x)
    assert not torch.allclose(a, b) and not torch.allclose(a, c)


def test_imagenet_skeleton_reduces_by_eight_before_the_cells():
    net = _net("darts_v2", 1000, (3, 224, 224), meta=True, channels=48, cells=14, skeleton="imagenet")
    assert hasattr(net, "stem0") and hasattr(net, "stem1") and not hasattr(net, "stem")
    with torch.no_grad():
        assert net(torch.empty(1, 3, 224, 224, device="meta")).shape == (1, 1000)
    macs = count_macs(_net("darts_v2", 10, (3, 64, 64), channels=8, cells=5, skeleton="imagenet"), (3, 64, 64))
    assert macs > 0


def test_cli_describe_and_export_take_a_published_cell(run_cli, tmp_path):
    rc, out, err = run_cli("describe", "--genotype", "darts_v2", "--channels", "36", "--cells", "20",
                           "--num-classes", "10", "--json")
    assert rc == 0, err
    rec = json.loads(out)
    assert rec["params"] == 3_349_342 and rec["macs"] > 0 and rec["network"] == {"channels": 36, "cells": 20}
    rc, out, err = run_cli("export", "--genotype", "amoebanet_a", "--channels", "8", "--cells", "5",
                           "--out", tmp_path / "amoeba")
    assert rc == 0, err
    assert "round-trip check: max abs diff" in out
    assert "cell_network" in (tmp_path / "amoeba" / "model.py").read_text()
    for args, message in ((("describe", "--genotype", "dartz_v2"), "published cell"),
                          (("describe", "--genotype", "darts_v2", "--cells", "2"), "cannot hold"),
                          (("export", "--genotype", "darts_v2", "--skeleton", "x", "--out", tmp_path / "x"), "skeleton")):
        rc, out, err = run_cli(*args)
        assert rc == 2 and message in err and "Traceback" not in err
        assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "x").exists()


ENAS_FIXED_ARC = ("0 2 0 0 0 4 0 1 0 4 1 1 1 0 0 1 0 2 1 1",  # melodyguan/enas scripts/cifar10_micro_final.sh
                  "1 0 1 0 0 3 0 2 1 1 3 1 1 0 0 4 0 3 1 1")
ENAS_OPS = ["sep_conv_3x3", "sep_conv_5x5", "avg_pool_3x3", "max_pool_3x3", "identity"]  # micro_child.py


@pytest.mark.parametrize("cell", [0, 1])
def test_enas_cell_is_the_reference_fixed_arc_with_its_loose_ends_concatenated(cell):
    arc = [int(t) for t in ENAS_FIXED_ARC[cell].split()]
    blocks = [[arc[i], ENAS_OPS[arc[i + 1]], arc[i + 2], ENAS_OPS[arc[i + 3]]] for i in range(0, 20, 4)]
    read = {b[k] for b in blocks for k in (0, 2)}
    loose = [i for i in range(2, 7) if i not in read]  # _fixed_combine: nodes no other node reads
    g = published_genotype("enas")
    key = ("normal", "reduce")[cell]
    def halves(bs):  # a block sums its two ops: their order carries no meaning (canonical form sorts it)
        return [sorted([(b[0], b[1]), (b[2], b[3])]) for b in bs]
    assert halves(g.data[key]) == halves(blocks)
    assert g.data.get(f"{key}_concat", list(range(2, 7))) == loose


def test_enas_cifar_has_the_reference_layout():
    """cifar10_micro_final.sh: 36 filters, 15 normal cells + reductions at pool_layers [5, 11]."""
    with torch.device("meta"):
        net = zoo.create_model("enas_cifar")
    reductions = [i for i, cell in enumerate(net.cells) if cell.c_out != net.cells[i - 1].c_out and i > 0]
    assert len(net.cells) == 17 and [5, 11] == [i for i in reductions if i in (5, 11)]
    assert net.cells[0].c_out == 5 * 36 and net.cells[5].c_out == 4 * 72  # five / four loose ends


NASNET_TF = {  # tensorflow/models slim nasnet_utils.py: operations, hiddenstate_indices, used_hiddenstates
    "normal": (["separable_5x5_2", "separable_3x3_2", "separable_5x5_2", "separable_3x3_2", "avg_pool_3x3", "none",
                "avg_pool_3x3", "avg_pool_3x3", "separable_3x3_2", "none"],
               [0, 1, 1, 1, 0, 1, 1, 1, 0, 0], [1, 0, 0, 0, 0, 0, 0]),
    "reduce": (["separable_5x5_2", "separable_7x7_2", "max_pool_3x3", "separable_7x7_2", "avg_pool_3x3",
                "separable_5x5_2", "none", "avg_pool_3x3", "separable_3x3_2", "max_pool_3x3"],
               [0, 1, 0, 1, 0, 1, 3, 2, 2, 0], [1, 1, 1, 0, 0, 0, 0]),
}
TF_OPS = {"none": "identity", "avg_pool_3x3": "avg_pool_3x3", "max_pool_3x3": "max_pool_3x3",
          **{f"separable_{k}x{k}_2": f"sep_conv_{k}x{k}" for k in (3, 5, 7)}}


@pytest.mark.parametrize("cell", ["normal", "reduce"])
def test_nasnet_a_is_the_authors_cell(cell):
    """The authors' hidden state 0 is the previous cell's output, 1 the one before: DARTS's 1 and 0."""
    ops, idx, used = NASNET_TF[cell]
    swap = {0: 1, 1: 0}
    blocks = [sorted([(swap.get(idx[i], idx[i]), TF_OPS[ops[i]]), (swap.get(idx[i + 1], idx[i + 1]), TF_OPS[ops[i + 1]])])
              for i in range(0, 10, 2)]
    g = published_genotype("nasnet_a")
    assert [sorted([(b[0], b[1]), (b[2], b[3])]) for b in g.data[cell]] == blocks
    assert g.data[f"{cell}_concat"] == sorted(swap.get(i, i) for i, u in enumerate(used) if not u)


@pytest.mark.parametrize("model,params_m,macs_m", [
    ("nasnet_a_cifar", 3.3, None), ("pnasnet5_cifar", 3.2, None), ("nasnet_a_mobile", 5.3, 564),
    ("pnasnet5_mobile", 5.1, 588), ("nasnet_a_large", 88.9, None), ("pnasnet5_large", 86.1, None)])
def test_nasnet_and_pnas_models_have_their_papers_sizes(model, params_m, macs_m):
    """On NASNet's own skeleton (conv0, two stem cells; PNAS: L = 3N) the sizes are the papers' within 1%
    (MACs within 2%); on DARTS's skeleton they were 10-25% off."""
    with torch.device("meta"):
        net = zoo.create_model(model)
    assert abs(count_params(net) / 1e6 - params_m) / params_m < 0.01
    if macs_m:
        size = zoo.get_spec(model).input_size
        assert abs(count_macs(zoo.create_model(model), size) / 1e6 - macs_m) / macs_m < 0.02


def test_nasnet_skeleton_builds_stem_cells_and_exports(tmp_path, run_cli):
    net = _net("pnasnet5", 10, (3, 64, 64), channels=8, cells=3, skeleton="nasnet", stem_channels=4)
    assert len(net.stem_cells) == 2 and [c.c_out for c in net.stem_cells] == [5 * 2, 5 * 4]
    assert net.stem[0].stride == (2, 2) and net.stem[0].padding == (0, 0)
    assert net(torch.randn(2, 3, 64, 64)).shape == (2, 10)
    rc, _, err = run_cli("export", "--genotype", "nasnet_a", "--skeleton", "nasnet", "--channels", "8",
                           "--cells", "5", "--num-classes", "4", "--input-size", "3x48x48", "--out", tmp_path / "e")
    assert rc == 0, err  # the export's own round-trip check ran the file in a fresh interpreter
    assert "skeleton" in (tmp_path / "e" / "model.py").read_text() and "nasnet" in (tmp_path / "e" / "model.py").read_text()
