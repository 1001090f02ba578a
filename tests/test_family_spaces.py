"""The family spaces (resnet, inception, mobile): zoo models are named points, random points train.

Named points are built on the meta device (no memory, no init time) and compared with the zoo's
model: inference parameters and conv+linear MACs must be equal. Random genotypes are built at
3x32x32 with a small `width_scale` (the YAMLs' network setting for a CPU-sized variant).
"""

import itertools
import json
import random

import pytest
import torch

from nasx import zoo
from nasx.errors import GenotypeError, SpaceError
from nasx.spaces import RandomChooser, get_space, space_names
from nasx.spaces.family import FamilySettings
from nasx.zoo.registry import conv_linear_macs, inference_params

torch.set_num_threads(1)

FAMILIES = tuple(n for n in space_names() if isinstance(get_space(n).settings, FamilySettings))  # every bundled one
SMALL = {"resnet": 0.125}  # width_scale for the random builds (others: 1/16)


def _seed_cases():
    return [(space, name) for space in FAMILIES for name in get_space(space).seed_names()]


def test_required_zoo_models_are_named_points():
    assert {"resnet", "inception", "mobile"} <= set(FAMILIES)
    seeds = {s: set(get_space(s).seed_names()) for s in FAMILIES}
    assert {"resnet18", "resnet34", "resnet50", "resnet20", "resnet56", "resnext50_32x4d",
            "pyramidnet110_a48"} <= seeds["resnet"]
    assert {"googlenet", "inception_v2"} <= seeds["inception"]
    assert {"mobilenet_v1", "mobilenet_v2", "shufflenet_v1_g3", "shufflenet_v2_x1_0"} <= seeds["mobile"]
    assert all(name in zoo.list_models() for names in seeds.values() for name in names)


@pytest.mark.parametrize("space_name,name", _seed_cases())
def test_named_point_builds_the_zoo_network(space_name, name):
    """Same inference params and MACs as `zoo.create_model(name)` at the paper's input size. The
    mobile space is built at 224: a genotype's `resolution` resizes the input to the variant's side."""
    space = get_space(space_name)
    size = zoo.get_spec(name).input_size
    space_size = (3, 224, 224) if space_name == "mobile" else size
    with torch.device("meta"):
        ours = space.build(space.seed_genotype(name), num_classes=1000, input_size=space_size)
        theirs = zoo.create_model(name, num_classes=1000)
    assert inference_params(ours) == inference_params(theirs)
    assert conv_linear_macs(ours, space_size) == conv_linear_macs(theirs, size)


@pytest.mark.parametrize("space_name", FAMILIES)
def test_random_genotypes_build_and_train_step(space_name):
    space = get_space(space_name).with_network(width_scale=SMALL.get(space_name, 0.0625))
    rng = random.Random(0)
    hashes = set()
    for _ in range(30):
        g = space.sample(RandomChooser(rng))
        hashes.add(g.hash)
        model = space.build(g, num_classes=10, input_size=(3, 32, 32))
        out = model(torch.randn(2, 3, 32, 32))
        assert out.shape == (2, 10) and torch.isfinite(out).all(), g.spec
        out.logsumexp(1).sum().backward()
        assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in model.parameters())
    assert len(hashes) == 30


@pytest.mark.parametrize("space_name", FAMILIES)
def test_grayscale_small_input(space_name):
    space = get_space(space_name).with_network(width_scale=SMALL.get(space_name, 0.0625))
    g = space.sample(3)
    assert space.build(g, num_classes=4, input_size=(1, 28, 28))(torch.randn(2, 1, 28, 28)).shape == (2, 4)


@pytest.mark.parametrize("space_name", FAMILIES)
def test_json_round_trip_choices_and_mutation(space_name):
    space = get_space(space_name)
    rng = random.Random(1)
    keys = [k for k, _ in space.decisions()]
    for _ in range(20):
        g = space.sample(RandomChooser(rng))
        assert space.from_string(g.to_json()) == g
        assert space.genotype(json.loads(json.dumps(g.data))) == g
        assert space.from_choices(space.choices(g)) == g
        assert set(space.choices(g)) == set(keys)  # fixed-length: every decision has a value
        assert space.encode(g).shape == (space.encoding_size,) and space.encode(g).sum() == len(keys)
        child = space.mutate(g, rng)
        assert child.hash != g.hash and space.genotype(child.data) == child
    for _, options in space.decisions():
        assert all(isinstance(o, (int, float, str)) and not isinstance(o, bool) for o in options)


def test_irrelevant_keys_are_normalized():
    space = get_space("resnet")
    base = dict(space.seed_genotype("resnet18").data)
    assert space.genotype({**base, "cardinality": 32, "group_width": 4}) == space.seed_genotype("resnet18")
    g = space.genotype({**base, "alpha": 48, "shortcut": "projection"})
    assert g.data["shortcut"] == "zero_pad"
    mobile = get_space("mobile")
    v1 = dict(mobile.seed_genotype("mobilenet_v1").data)
    assert mobile.genotype({**v1, "groups": 8}) == mobile.seed_genotype("mobilenet_v1")


def test_size_counts_distinct_genotypes():
    """resnet's size is exact: its normalized style keys have 2 + 140 + 10 distinct combinations."""
    from nasx.spaces import resnet_family as rf

    styles = {tuple(rf.normalize(dict(zip(rf.STYLE_KEYS, c))).values())
              for c in itertools.product(*(rf.OPTIONS[k] for k in rf.STYLE_KEYS))}
    assert len(styles) == 2 + 7 * 5 * 2 * 2 + 5 * 2  # basic; bottleneck; PyramidNet (basic/bottleneck)
    assert get_space("resnet").size() == len(styles) * 2 * 3 * 13 ** 3 * 14
    assert get_space("inception").size() > 10 ** 50 and get_space("mobile").size() > 10 ** 20


@pytest.mark.parametrize("space_name,patch,message", [
    ("resnet", {"depths": [2, 2, 2]}, "depths must be a list of 4 entries, got 3 entries"),
    ("resnet", {"depths": [2, 2, 2, 10]}, "depths[3] = 10 is not one of [0, 1, 2"),
    ("resnet", {"block": "wide"}, "block = 'wide' is not one of ['basic', 'bottleneck']"),
    ("resnet", {"width": True}, "width = True is not one of [16, 32, 64]"),
    ("resnet", {"extra": 1}, "unknown extra"),
    ("inception", {"reductions": ["maxpool", "avgpool"]}, 'reductions[1] must be "maxpool" or [c3r, c3, d3r, d3]'),
    ("inception", {"stages": []}, "stages must be a list of 3 entries, got 0 entries"),
    ("mobile", {"unit": "fused"}, "unit = 'fused' is not one of"),
    ("mobile", {"stages": [{"width": 64}] * 3}, "stages[0]: missing expand, kernel, repeats, stride"),
])
def test_precise_errors(space_name, patch, message):
    space = get_space(space_name)
    data = {**space.seed_genotype(space.seed_names()[0]).data, **patch}
    with pytest.raises(GenotypeError) as exc:
        space.genotype(data)
    assert message in str(exc.value) and f"space {space_name}" in str(exc.value)


def test_inception_module_errors_name_the_field():
    space = get_space("inception")
    data = space.seed_genotype("googlenet").data
    data["stages"][1]["modules"][4][2] = 100
    with pytest.raises(GenotypeError, match=r"stages\[1\]\.modules\[4\]\.c3 = 100 is not one of"):
        space.genotype(data)
    data["stages"][1]["modules"] = [data["stages"][1]["modules"][0]] * 6
    with pytest.raises(GenotypeError, match=r"stages\[1\]\.modules must be a list of 1 or 2 or 3 or 4 or 5"):
        space.genotype(data)


def test_width_scale_is_a_network_setting():
    space = get_space("resnet")
    with pytest.raises(SpaceError, match="width_scale must be a number"):
        space.with_network(width_scale=0)
    with pytest.raises(SpaceError, match="cannot be overridden"):
        space.with_network(seeds={})
    small = space.with_network(width_scale=0.25)
    g = space.seed_genotype("resnet20")
    assert small.genotype(g.data) == g  # same genotypes, smaller network
    assert sum(p.numel() for p in small.build(g).parameters()) < sum(p.numel() for p in space.build(g).parameters())


def test_cli_lists_and_samples_the_family_spaces(run_cli):
    rc, out, _ = run_cli("spaces", "--json")
    rows = {r["name"]: r for r in json.loads(out)}
    assert rc == 0 and {r: rows[r]["kind"] for r in FAMILIES} == {r: r for r in FAMILIES}
    for name in FAMILIES:
        rc, out, _ = run_cli("sample", "--space", name, "--seed", "0", "--input-size", "1x28x28", "--json")
        obj = json.loads(out)
        assert rc == 0 and obj["genotype"]["space"] == name and obj["params"] > 0 and obj["macs"] > 0


def test_paper_recipe_scales_to_the_data():
    from nasx.evaluate import Task
    from nasx.evaluate.baseline_recipes import paper_task

    base = Task(epochs=3, batch_size=64, lr=0.05)
    resnet, notes = paper_task("resnet20", base, train_size=1000)
    assert (resnet.batch_size, resnet.lr, resnet.weight_decay, resnet.schedule, resnet.nesterov) == \
        (128, 0.1, 1e-4, "step", False) and resnet.epochs == 3 and notes == []
    capped, notes = paper_task("resnet18", base, train_size=100)
    assert capped.batch_size == 100 and capped.lr == pytest.approx(0.1 * 100 / 256)
    assert any("capped" in n for n in notes) and any("step schedule" in n for n in notes)
    mobile, notes = paper_task("mobilenet_v2", base, train_size=1000)
    assert mobile.lr == base.lr and mobile.weight_decay == 4e-5 and mobile.schedule == "cosine"
    assert any("rmsprop" in n for n in notes)


def test_baselines_paper_recipe_on_digits(run_cli, tmp_path):
    out = tmp_path / "b.csv"
    rc, stdout, err = run_cli("baselines", "--data", "digits", "--models", "lenet5", "--epochs", "1",
                              "--recipe", "paper", "--device", "cpu", "--out", out, "--json")
    rows = json.loads(stdout)
    assert rc == 0 and rows[0]["model"] == "lenet5" and rows[0]["status"] == "ok"
    header, row = out.read_text().splitlines()[:2]
    csv = dict(zip(header.split(","), row.split(",")))
    assert csv["recipe"] == "paper" and csv["schedule"] == "step" and csv["label_smoothing"] == "0.0"
    assert "replaced by SGD" in err
