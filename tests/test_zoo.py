"""The model zoo: every model builds and runs at small sizes; counts match the published figures.

Networks are counted on the meta device (no memory, no init). Every model runs a forward pass at
1x28x28: on the CPU, except the HEAVY ones (over ~1 G MACs even with the small-image stem, ~85% of
the zoo's total), which run it on the meta device so the file stays within a 2-core CI budget.
"""

from __future__ import annotations

import json

import pytest
import torch
from torch import nn

from nasx import zoo
from nasx.blocks import InceptionModule
from nasx.cli import main
from nasx.errors import NasxError
from nasx.measure import count_macs, count_params, layer_table
from nasx.registry import DuplicateName
from nasx.zoo.registry import conv_linear_macs

ALL = zoo.list_models()
HEAVY = {"googlenet", "inception_v2", "inception_v3", "inception_v4", "inception_resnet_v2", "resnet50",
         "resnet101", "resnet152", "resnet1202", "resnext50_32x4d", "resnext101_32x4d", "resnext101_32x8d",
         "pyramidnet110_a270", "pyramidnet164_a270", "densenet161", "densenet169", "densenet201",
         "nasnet_a_large", "pnasnet5_large", "pnasnet5_mobile", "nasnet_a_cifar", "pnasnet5_cifar"}


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """Batch-1 28x28 forwards gain nothing from intra-op threads; on a shared 2-core CI they only spin."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def meta_model(name, input_size=None, **kw):
    with torch.device("meta"):
        return zoo.create_model(name, input_size=input_size, **kw)


# ---- every model builds and runs --------------------------------------------------------------------
@pytest.mark.parametrize("name", [n for n in ALL if n not in HEAVY])
def test_forward_cpu_1x28x28(name):
    torch.manual_seed(0)
    model = zoo.create_model(name, num_classes=10, in_channels=1, input_size=(1, 28, 28)).eval()
    with torch.no_grad():
        y = model(torch.randn(1, 1, 28, 28))
    assert y.shape == (1, 10) and torch.isfinite(y).all()


@pytest.mark.parametrize("name", sorted(HEAVY))
def test_forward_meta_1x28x28_heavy(name):
    model = meta_model(name, (1, 28, 28), num_classes=10)
    assert conv_linear_macs(model, (1, 28, 28)) > 0   # (skips BN, which only slows meta tensors down)
    with torch.no_grad():
        assert model(torch.empty(1, 1, 28, 28, device="meta")).shape == (1, 10)


@pytest.mark.parametrize("name", ALL)
def test_shapes_3x32x32_on_meta(name):
    model = meta_model(name, (3, 32, 32), num_classes=10)
    assert conv_linear_macs(model, (3, 32, 32)) > 0   # (skips BN, which only slows meta tensors down)
    with torch.no_grad():
        assert model(torch.empty(2, 3, 32, 32, device="meta")).shape == (2, 10)


@pytest.mark.parametrize("name", ["lenet5", "alexnet_2tower", "resnet20", "mobilenet_v1_0_25_128",
                                  "shufflenet_v1_g3_x0_25", "squeezenet1_1"])
def test_backward_cpu_3x32x32(name):
    torch.manual_seed(0)
    model = zoo.create_model(name, num_classes=10, input_size=(3, 32, 32)).train()
    y = model(torch.randn(2, 3, 32, 32))
    loss = nn.functional.cross_entropy(y, torch.tensor([1, 2]))
    loss = loss + 0.3 * sum(nn.functional.cross_entropy(a, torch.tensor([1, 2])) for a in getattr(model, "aux_outputs", ()))
    loss.backward()
    assert all(p.grad is not None for p in model.parameters() if p.requires_grad)


@pytest.mark.parametrize("name, n_aux", [("googlenet", 2), ("inception_v3", 1)])
def test_aux_heads_train_only(name, n_aux):
    model = meta_model(name, (1, 28, 28), num_classes=10).train()
    x = torch.empty(2, 1, 28, 28, device="meta")
    assert model(x).shape == (2, 10)
    assert [a.shape for a in model.aux_outputs] == [(2, 10)] * n_aux
    model.eval()
    model(x)
    assert model.aux_outputs == ()
    assert zoo.inference_params(model) == count_params(model) - count_params(model.aux)


# ---- parameter counts at the paper's input size and 1000 classes -----------------------------------------
EXACT = {  # torchvision's / timm's / Keras' counts, reproduced to the parameter
    "resnet18": 11_689_512, "resnet34": 21_797_672, "resnet50": 25_557_032, "resnet101": 44_549_160,
    "resnet152": 60_192_808, "vgg16": 138_357_544, "alexnet_owt": 61_100_840,
    "inception_v3": 23_834_568, "densenet121": 7_978_856, "densenet169": 14_149_480,
    "densenet201": 20_013_928, "densenet161": 28_681_000, "resnext50_32x4d": 25_028_904,
    "resnext101_32x8d": 88_791_336, "squeezenet1_0": 1_248_424, "squeezenet1_1": 1_235_496,
    "mobilenet_v2": 3_504_872, "shufflenet_v2_x1_0": 2_278_604, "xception": 22_855_952,
    "inception_v4": 42_679_816, "inception_resnet_v2": 55_843_464,
    # torchvision's 6,624,904 has 3x3 convs in its "5x5" branches: + sum(c5r * c5 * (25 - 9)) = 380,928
    "googlenet": 6_624_904 + 380_928,
}
ROUNDED = {  # figures as the papers print them (M params); the count must round to them
    "mobilenet_v1": "4.2", "xception": "22.9", "inception_v4": "42.7", "inception_resnet_v2": "55.8",
    "inception_v3": "23.8", "alexnet": "62.4", "alexnet_2tower": "61.0",
    "resnet20": "0.27", "resnet32": "0.46", "resnet44": "0.66", "resnet56": "0.85", "resnet110": "1.7",
    "resnet1202": "19.4", "mobilenet_v1_0_75_224": "2.6", "mobilenet_v1_0_5_224": "1.3",
    "mobilenet_v1_0_25_224": "0.5",
}
PYRAMIDNET = {"pyramidnet110_a48": 1.7e6, "pyramidnet110_a84": 3.8e6, "pyramidnet110_a270": 28.3e6,
              "pyramidnet164_a270": 27.0e6}


@pytest.mark.parametrize("name", sorted(EXACT))
def test_params_exact(name):
    assert zoo.inference_params(meta_model(name)) == EXACT[name]


@pytest.mark.parametrize("name", sorted(ROUNDED))
def test_params_round_to_published(name):
    figure = ROUNDED[name]
    digits = len(figure.split(".")[1])
    assert f"{zoo.inference_params(meta_model(name)) / 1e6:.{digits}f}" == figure


def test_inception_v3_with_aux_is_torchvisions_count():
    assert count_params(meta_model("inception_v3")) == 27_161_264  # what torchvision lists, aux included


@pytest.mark.parametrize("name", sorted(PYRAMIDNET))
def test_pyramidnet_params_within_5_percent(name):
    # Our counts (the authors' PyTorch code's channel rule) run 0.7-4% above the paper's Table 4.
    assert zoo.inference_params(meta_model(name)) == pytest.approx(PYRAMIDNET[name], rel=0.05)


# ---- MACs --------------------------------------------------------------------------------------------------
MACS = {"resnet18": 1.8e9, "resnet34": 3.6e9, "resnet50": 3.8e9, "resnet101": 7.6e9, "resnet152": 11.3e9,
        "vgg16": 15.3e9 + 0.12e9, "mobilenet_v1": 569e6, "mobilenet_v1_0_25_128": 14e6,
        "mobilenet_v2": 300e6, "alexnet_2tower": 0.72e9, "shufflenet_v1_g3": 140e6,
        # GoogLeNet Table 1 sums to 1,502 M but prints 34 M for conv1, whose 7x7x3x64 at 112x112 is 118 M
        "googlenet": 1502e6 - 34e6 + 112 * 112 * 64 * 147}


@pytest.mark.parametrize("name", sorted(MACS))
def test_macs_within_5_percent(name):
    assert zoo.model_stats(name)["macs"] == pytest.approx(MACS[name], rel=0.05)


def test_googlenet_macs_match_table_1_after_conv1_fix():
    assert zoo.model_stats("googlenet")["macs"] == pytest.approx(MACS["googlenet"], rel=0.01)


def test_mobilenet_v1_resolution_variants_match_table_7():
    for res, macs in ((192, 418e6), (160, 290e6), (128, 186e6)):
        assert zoo.model_stats(f"mobilenet_v1_1_0_{res}")["macs"] == pytest.approx(macs, rel=0.01)


@pytest.mark.parametrize("name", ["lenet5", "alexnet", "googlenet", "inception_v3", "mobilenet_v2",
                                  "shufflenet_v1_g8_x0_5", "densenet121", "resnext50_32x4d"])
def test_fast_mac_counter_equals_flop_counter(name):
    size = zoo.get_spec(name).input_size
    assert conv_linear_macs(meta_model(name), size) == count_macs(meta_model(name), size)


def test_cifar_resnet_macs_are_cifar_scale():
    # The seed's summary table gives these rows ImageNet-scale GOPs; at 32x32 they are 41 M - 2.8 G.
    got = {d: zoo.model_stats(f"resnet{d}")["macs"] for d in (20, 56, 110)}
    assert got == {20: 40_551_040, 56: 125_485_696, 110: 252_887_680}


# ---- LeNet-5's C3 table, connection by connection --------------------------------------------------------
TABLE_I = (  # LeCun et al. 1998, Table I: rows = S2 maps 0-5, columns = C3 maps 0-15, X = connected
    "X   XXX  XXXX XX",
    "XX   XXX  XXXX X",
    "XXX   XXX  X XXX",
    " XXX  XXXX  X XX",
    "  XXX  XXXX XX X",
    "   XXX  XXXX XXX",
)


def test_lenet5_c3_connection_table():
    model = zoo.create_model("lenet5")
    c3 = model.c3
    assert c3.connections(6) == [[ch == "X" for ch in row] for row in TABLE_I]
    for j, conv in enumerate(c3.convs):  # each map's conv really sees only its listed inputs
        assert conv.in_channels == sum(row[j] == "X" for row in TABLE_I)
    assert sorted(len(r) for r in c3.table) == [3] * 6 + [4] * 9 + [6]
    assert count_params(c3) == 1516                 # the paper's C3 count
    x = torch.zeros(1, 6, 14, 14)
    x[0, 3] = 1.0                                   # only S2 map 3 active: maps not wired to it see zeros
    out = c3(x) - c3(torch.zeros_like(x))
    touched = [bool(out[0, j].abs().sum() > 0) for j in range(16)]
    assert touched == [ch == "X" for ch in TABLE_I[3]]


def test_lenet5_shape_and_params():
    model = zoo.create_model("lenet5")
    assert count_params(model) == 60_850            # ~60 K (RBF output replaced by an 84->10 linear layer)
    assert model(torch.randn(2, 1, 32, 32)).shape == (2, 10)


# ---- the seed's inception-module arithmetic --------------------------------------------------------------
def test_inception_module_arithmetic():
    naive = InceptionModule(256, 128, 0, 192, 0, 96, 0, naive=True, bn=False)
    reduced = InceptionModule(256, 128, 64, 192, 64, 96, 64, bn=False)
    assert count_macs(naive, (256, 28, 28)) == 28 * 28 * 256 * (128 + 9 * 192 + 25 * 96) == 854_196_224
    # The seed's slide prints 358 M for the reduced module, but its own six terms add up to 271 M:
    terms = 28 * 28 * (64 * 256 + 64 * 256 + 128 * 256 + 192 * 9 * 64 + 96 * 25 * 64 + 64 * 256)
    assert count_macs(reduced, (256, 28, 28)) == terms == 271_351_808


# ---- the seed's VGG-16 walk-through ----------------------------------------------------------------------
def test_vgg16_walkthrough():
    rows = layer_table(meta_model("vgg16"), (3, 224, 224))
    stored = [r for r in rows if r.kind in ("Conv2d", "MaxPool2d", "Linear")]  # ReLU is in place: counted once
    acts = 3 * 224 * 224 + sum(r.activations for r in stored)
    assert acts == 15_237_608                        # = the sum of the seed's own per-layer terms (15.2 M)
    assert acts * 4 / 1e6 == pytest.approx(61, abs=0.5)  # MB per image, forward, fp32
    every_output = 3 * 224 * 224 + sum(r.activations for r in rows if r.kind != "Flatten")
    assert 24e6 < every_output < 30e6                # ReLU outputs as separate tensors: 28.8 M (115 MB)
    convs = [r for r in rows if r.kind == "Conv2d"]
    fcs = [r for r in rows if r.kind == "Linear"]
    assert convs[0].activations == 224 * 224 * 64 == 3_211_264
    assert sum(r.activations for r in convs[:4]) > 0.6 * acts          # early convs hold the memory
    assert sum(r.params for r in fcs) > 0.89 * sum(r.params for r in rows)  # late FCs hold the params
    assert sum(r.params for r in rows) == 138_357_544
    assert sum(r.macs for r in convs) == pytest.approx(15.35e9, rel=0.005)
    assert sum(r.macs for r in fcs) == pytest.approx(0.1236e9, rel=0.005)


# ---- registry and metadata ------------------------------------------------------------------------------
def test_registry_refuses_duplicates_and_bad_names():
    with pytest.raises(DuplicateName, match=r"test_zoo: model 'resnet18' is already registered by nasx\.zoo\.resnet"):
        zoo.register_model("resnet18", family="resnet", year=2015, paper="x")(lambda num_classes, input_size: None)
    assert zoo.get_spec("resnet18").paper != "x"  # the built-in stays
    with pytest.raises(ValueError, match="snake"):
        zoo.register_model("ResNet-18", family="resnet", year=2015, paper="x")


def test_unknown_model_suggests_close_names():
    with pytest.raises(NasxError, match="resnet50"):
        zoo.create_model("resnet05")
    with pytest.raises(NasxError, match="unknown family"):
        zoo.list_models("transformers")
    with pytest.raises(NasxError, match="contradicts"):
        zoo.create_model("resnet20", in_channels=1, input_size=(3, 32, 32))


@pytest.mark.parametrize("name", ALL)
def test_metadata(name):
    info = zoo.model_info(name)
    json.dumps(info)
    assert 1998 <= info["year"] <= 2019 and info["paper"] and info["recipe"]
    assert len(info["input_size"]) == 3
    for key in ("top1_err", "top5_err"):
        assert info[key] is None or 0 < info[key] < 100
    assert info["top5_err"] is None or info["top1_err"] is None or info["top5_err"] < info["top1_err"]


def test_recipes_are_data():
    alex = zoo.model_info("alexnet_2tower")["recipe"]
    assert (alex["batch_size"], alex["momentum"], alex["lr"], alex["weight_decay"], alex["dropout"]) == \
        (128, 0.9, 1e-2, 5e-4, 0.5)
    assert zoo.model_info("vgg16")["recipe"]["batch_size"] == 256
    assert zoo.model_info("resnet50")["recipe"]["weight_decay"] == 1e-4


# ---- CLI -----------------------------------------------------------------------------------------------------
def test_cli_zoo_json(capsys):
    assert main(["zoo", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["name"] for r in rows] == ALL
    assert set(rows[0]) == {"name", "params", "macs", "input_size", "top1_err", "top5_err"}
    by_name = {r["name"]: r for r in rows}
    assert by_name["resnet50"]["params"] == 25_557_032 and by_name["resnet50"]["input_size"] == "3x224x224"
    assert by_name["resnet20"]["macs"] == 40_551_040


def test_cli_zoo_table_family_input_size_and_plot(capsys, tmp_path):
    assert main(["zoo", "--family", "squeezenet", "--input-size", "3x32x32", "--plot", str(tmp_path / "z.png")]) == 0
    out = capsys.readouterr().out
    assert "squeezenet1_0" in out and "3x32x32" in out
    assert (tmp_path / "z.png").stat().st_size > 1000


def test_cli_zoo_bad_input_exit_2(capsys):
    assert main(["zoo", "--family", "nope"]) == 2
    assert "unknown family" in capsys.readouterr().err
    assert main(["zoo", "--family", "lenet", "--input-size", "3xbad"]) == 2
