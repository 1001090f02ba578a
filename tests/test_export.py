"""Export: model.py run in a fresh `python -I` equals the engine, formats agree, bad input writes nothing.

Cost control (2-core CI): every architecture is exported once (module fixture) without the built-in
check, then ONE fresh interpreter checks all of them; py_compile and ruff run once over all files.
Zoo: the smallest model of every family at 3x32x32; families whose smallest model has more than
ZOO_MAX_PARAMS parameters are skipped (listed in the skip message).
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import nasx
from nasx.export import from_genotype, from_zoo, write_export
from nasx.export.check import example_input, reference
from nasx.export.codegen import SPACE_EMITTERS
from nasx.ops import OPS_VERSION
from nasx.runs import RunDir
from nasx.spaces import get_space, space_names

ROOT = Path(__file__).resolve().parents[1]
RUFF = Path(sys.executable).parent / "ruff"
NUM_CLASSES = 3
SPACE_INPUT = (3, 16, 16)
ZOO_INPUT = (3, 16, 16)  # small-image stems everywhere; a family that does not fit gets 3x32x32
ZOO_MAX_PARAMS = 25_000_000
TINY_SPACE = """kind: cells
ops: [identity, sep_conv_3x3, max_pool_3x3, conv_1x3_3x1, avg_pool_3x3]
blocks: 2
channels: 4
cells_per_stage: 1
stages: 2
stem_multiplier: 1
separate_reduction: true
"""

CHILD = r"""
import importlib.abc, json, sys
class NoNasx(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "nasx" or name.startswith("nasx."):
            raise ImportError("exported code imported nasx")
sys.meta_path.insert(0, NoNasx())
import torch
out = {}
for folder, case in json.loads(sys.argv[1]):
    sys.path.insert(0, folder)
    sys.modules.pop("model", None)
    import model
    sys.path.remove(folder)
    data = torch.load(case, weights_only=True)
    net = model.build()
    net.load_state_dict(torch.load(folder + "/weights.pt", weights_only=True), strict=True)
    net.double().eval()
    x = data["x"].double() if data["x"].is_floating_point() else data["x"]  # token ids stay integers
    with torch.no_grad():
        y = net(x)
        y = y[0] if isinstance(y, tuple) else y  # a language model returns (logits, hidden)
        out[folder] = float((y - data["y"]).abs().max())
print(json.dumps(out))
"""


def _perturbed(model: torch.nn.Module) -> dict:
    """The model's state with every float tensor nudged, so BN statistics and weights are non-trivial."""
    g = torch.Generator().manual_seed(0)
    state = {}
    for k, v in model.state_dict().items():
        if v.is_floating_point():
            noise = torch.rand(v.shape, generator=g) * 0.1
            v = v + noise if "running_var" in k else v + noise - 0.05
        state[k] = v.clone()
    return state


def _zoo_cases() -> tuple[list[tuple[str, tuple]], list[str]]:
    """The smallest model of every family (sized on the meta device) and its input size; skipped families."""
    from nasx import zoo
    from nasx.errors import NasxError

    families: dict[str, list[tuple[int, str, tuple]]] = {}
    for name in zoo.list_models():
        for size in (ZOO_INPUT, (3, 32, 32)):
            try:
                with torch.device("meta"):
                    params = nasx.count_params(zoo.create_model(name, NUM_CLASSES, input_size=size))
                break
            except NasxError:
                continue
        else:
            continue
        families.setdefault(zoo.get_spec(name).family, []).append((params, name, size))
    chosen, skipped = [], []
    for family, models in families.items():
        params, name, size = min(models)
        if params <= ZOO_MAX_PARAMS:
            chosen.append((name, size))
        else:
            skipped.append(f"{family} ({name}: {params / 1e6:.0f}M params)")
    return chosen, skipped


@pytest.fixture(scope="module")
def exports(tmp_path_factory):
    """{label: (export folder, case file)} for a random genotype of every space and every zoo family."""
    base = tmp_path_factory.mktemp("exports")
    out = {}

    def export(label, ex):
        folder = write_export(ex, base / label, check=False).out
        x = example_input(ex.input_size)
        y = reference(ex.model, x)  # float64 on both sides: the check compares functions, not float32 rounding
        torch.save({"x": x, "y": y}, base / f"{label}.case.pt")
        out[label] = (folder, base / f"{label}.case.pt")

    no_emitter = []
    for i, name in enumerate(space_names()):  # through a --weights file, as the CLI does
        space = get_space(name)
        if space.kind not in SPACE_EMITTERS:
            no_emitter.append(f"{name} (kind {space.kind})")
            continue
        g = space.sample(100 + i)
        path, weights = base / f"{name}.genotype.json", base / f"{name}.weights.pt"
        path.write_text(g.to_json())
        torch.save(_perturbed(space.build(g, NUM_CLASSES, SPACE_INPUT)), weights)
        export(f"space-{name}", from_genotype(path, weights=weights, input_size=SPACE_INPUT))
    chosen, skipped = _zoo_cases()
    for name, size in chosen:  # weights set in memory: one build per model keeps this affordable
        ex = from_zoo(name, NUM_CLASSES, size)
        ex.weights = _perturbed(ex.model)
        ex.model.load_state_dict(ex.weights)
        export(f"zoo-{name}", ex)
    out["_skipped"] = skipped
    out["_no_emitter"] = no_emitter
    return out


def test_every_space_and_zoo_family_round_trips_in_a_fresh_interpreter(exports):
    cases = {k: v for k, v in exports.items() if not k.startswith("_")}
    assert {f"space-{n}" for n in space_names()} <= set(cases) | {f"space-{e.split()[0]}"
                                                                  for e in exports["_no_emitter"]}
    assert {"space-cells", "space-pnas", "space-nb201"} <= set(cases)
    arg = json.dumps([[str(f), str(c)] for f, c in cases.values()])
    proc = subprocess.run([sys.executable, "-I", "-B", "-c", CHILD, arg], capture_output=True, text=True,
                          timeout=300, cwd=str(next(iter(cases.values()))[0].parent), check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    diffs = json.loads(proc.stdout.strip().splitlines()[-1])
    bad = {k: d for k, d in diffs.items() if not d <= 1e-5}
    assert not bad, bad


def test_every_bundled_space_and_zoo_family_is_exported_or_named(exports):
    """No space kind lacks a code emitter, and every zoo family is either exported above or named as
    too large for CI (so a family whose models stop building cannot drop out silently)."""
    from nasx import zoo

    assert exports["_no_emitter"] == []
    exported = {zoo.get_spec(k.removeprefix("zoo-")).family for k in exports if k.startswith("zoo-")}
    too_large = {entry.split()[0] for entry in exports["_skipped"]}
    assert exported | too_large == {zoo.get_spec(m).family for m in zoo.list_models()}


def test_a_space_kind_without_an_emitter_is_refused_in_one_line():
    import copy as _copy

    from nasx.errors import NasxError
    from nasx.export.codegen import generate

    space = _copy.copy(get_space("nb201"))
    space.kind = "unregistered_kind"
    with pytest.raises(NasxError, match="space kind 'unregistered_kind' has no code emitter"):
        generate(space, space.sample(0))


def test_exported_source_compiles_passes_ruff_and_imports_only_torch(exports):
    files = [str(v[0] / "model.py") for k, v in exports.items() if not k.startswith("_")]
    proc = subprocess.run([sys.executable, "-m", "py_compile", *files], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    if RUFF.exists():
        proc = subprocess.run([str(RUFF), "check", "--isolated", "--select", "E,F,W", "--ignore", "E501", *files],
                              capture_output=True, text=True, check=False)
        assert proc.returncode == 0, proc.stdout[-3000:]
    for f in files:
        text = Path(f).read_text()
        assert "nasx" not in "".join(line for line in text.splitlines() if "import" in line)
        assert "def build(" in text


def test_export_folder_contents_and_naming(exports):
    folder, _ = exports["space-nb201"]
    names = sorted(p.name for p in folder.iterdir() if p.name != "__pycache__")  # py_compile test
    assert names == ["genotype.json", "metrics.json", "model.py", "weights.pt"]
    g = json.loads((folder / "genotype.json").read_text())
    cls = f"Nb201_{get_space('nb201').genotype({'arch': g['arch']}).hash[:8]}"
    text = (folder / "model.py").read_text()
    assert f"class {cls}(NB201Network)" in text and "MACs:" in text and '"arch":' in text
    metrics = json.loads((folder / "metrics.json").read_text())
    assert metrics["num_classes"] == NUM_CLASSES and metrics["input_size"] == list(SPACE_INPUT)
    assert metrics["weights"] == "weights.pt" and metrics["params"] > 0
    assert "class CellsNet_" in (exports["space-cells"][0] / "model.py").read_text()
    torch.load(folder / "weights.pt", weights_only=True)
    zoo_folders = [v[0] for k, v in exports.items() if k.startswith("zoo-")]
    assert zoo_folders
    assert "zoo" in json.loads((zoo_folders[0] / "genotype.json").read_text())


def test_nasx_load_of_an_export_folder_matches_the_engine(exports):
    folder, case = exports["space-pnas"]
    data = torch.load(case, weights_only=True)
    with torch.no_grad():
        out = nasx.load(folder)(data["x"])
    assert (out - data["y"]).abs().max() <= 1e-5


@pytest.fixture
def tiny_space(tmp_path):
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY_SPACE)
    return get_space(str(path))


def test_pt2_and_onnx_agree(tmp_path, tiny_space):
    pytest.importorskip("onnxruntime")
    pytest.importorskip("onnxscript")
    g = tiny_space.sample(0)
    (tmp_path / "g.json").write_text(g.to_json())
    for name, ex in (("cells", from_genotype(tmp_path / "g.json", input_size=(1, 12, 12))),
                     ("lenet", from_zoo("lenet5", NUM_CLASSES, (1, 28, 28)))):
        report = write_export(ex, tmp_path / name, formats=("pt2", "onnx"), check=False)
        assert {"model.pt2", "model.onnx"} <= set(report.files)
        assert report.format_diffs["pt2"] <= 1e-5 and report.format_diffs["onnx"] <= 1e-5
        x = example_input(ex.input_size)
        with torch.no_grad():  # float64 on both sides: the check compares functions, not thread-dependent rounding
            y = copy.deepcopy(ex.model).double().eval()(x.double())
            prog = torch.export.load(str(tmp_path / name / "model.pt2")).module()
            assert (prog(x) - y).abs().max() <= 1e-5
        import onnxruntime as ort

        sess = ort.InferenceSession(str(tmp_path / name / "model.onnx"), providers=["CPUExecutionProvider"])
        assert abs(sess.run(None, {"input": x.numpy()})[0] - y.numpy()).max() <= 1e-5


# ---------------------------------------------------------------- run directories


def _make_run(path: Path, space, genotypes, with_weights=(True,)):
    run = RunDir.create(path, {"space": space.name, "data": "digits"})
    for i, (g, keep) in enumerate(zip(genotypes, with_weights)):
        tid = f"t{i}"
        rec = {"event": "trial", "id": tid, "genotype": g.to_dict(), "status": "ok",
               "metrics": {"val_acc": 0.9 - 0.1 * i, "params": 1}, "device_seconds": 1.0, "weights": None,
               "build": {"ops_version": OPS_VERSION}}
        if keep:
            model = space.build(g, NUM_CLASSES, (1, 8, 8))
            torch.save(_perturbed(model), run.trial_dir(tid) / "weights.pt")
            rec["weights"] = f"trials/{tid}/weights.pt"
        run.append(rec)
    return run


def test_a_run_trained_before_ops_version_2_exports_as_trained(tmp_path, tiny_space, run_cli):
    """A journal line without `ops_version` was trained when sep_conv_3x3 was stacked once: it reads
    back as sep_conv_3x3_single, its weights load, and model.py builds the single-stack op."""
    g = tiny_space.genotype({"normal": [[0, "sep_conv_3x3", 1, "identity"], [1, "sep_conv_3x3", 2, "max_pool_3x3"]],
                             "reduce": [[0, "sep_conv_3x3", 1, "avg_pool_3x3"], [0, "identity", 2, "sep_conv_3x3"]]})
    old = tiny_space.genotype(json.loads(json.dumps(g.data).replace('"sep_conv_3x3"', '"sep_conv_3x3_single"')))
    run = RunDir.create(tmp_path / "run", {"space": tiny_space.name, "data": "digits"})
    torch.save(_perturbed(tiny_space.build(old, NUM_CLASSES, (1, 8, 8))), run.trial_dir("t0") / "weights.pt")
    run.append({"event": "trial", "id": "t0", "genotype": g.to_dict(), "status": "ok", "metrics": {"val_acc": 0.5},
                "device_seconds": 1.0, "weights": "trials/t0/weights.pt"})
    assert RunDir.open(run.path).trial("t0").genotype == old
    rc, _out, err = run_cli("export", run.path, "--input-size", "1x8x8", "--out", tmp_path / "exp")
    assert rc == 0, err
    text = (tmp_path / "exp" / "model.py").read_text()
    assert "SepConv(c, c, 3, 1)" in text and "StackedSepConv" not in text


def test_export_from_a_run_directory_with_the_builtin_check(tmp_path, tiny_space, run_cli):
    g0, g1 = tiny_space.sample(1), tiny_space.sample(2)
    run = _make_run(tmp_path / "run", tiny_space, [g0, g1], with_weights=(True, False))
    rc, out, err = run_cli("export", run.path, "--input-size", "1x8x8", "--out", tmp_path / "best")
    assert rc == 0, err
    assert "round-trip check: max abs diff" in out and "weights.pt" in out
    best = tmp_path / "best"
    saved = torch.load(run.path / "trials/t0/weights.pt", weights_only=True)
    shipped = torch.load(best / "weights.pt", weights_only=True)
    assert saved.keys() == shipped.keys() and all(torch.equal(saved[k], shipped[k]) for k in saved)
    metrics = json.loads((best / "metrics.json").read_text())
    assert metrics["metrics"]["val_acc"] == 0.9 and metrics["source"]["trial"] == "t0"
    assert metrics["num_classes"] == NUM_CLASSES and metrics["input_size"] == [1, 8, 8]
    x = example_input((1, 8, 8))
    with torch.no_grad():
        a, b = nasx.load(best)(x), nasx.load(run.path)(x)
    assert (a - b).abs().max() <= 1e-5

    rc, out, err = run_cli("export", run.path, "--rank", "2", "--no-check", "--out", tmp_path / "second")
    assert rc == 0, err
    assert "weights: none" in out
    assert json.loads((tmp_path / "second" / "metrics.json").read_text())["weights"] is None
    assert not (tmp_path / "second" / "weights.pt").exists()


def test_a_failing_round_trip_writes_nothing(tmp_path, tiny_space, run_cli, monkeypatch):
    from nasx.export import check

    g = tiny_space.sample(3)
    (tmp_path / "g.json").write_text(g.to_json())
    real = check.reference
    monkeypatch.setattr(check, "reference", lambda m, x: real(m, x) + 1.0)
    rc, _, err = run_cli("export", "--genotype", tmp_path / "g.json", "--out", tmp_path / "new" / "o")
    assert rc == 2 and "round-trip check failed" in err and len(err.strip().splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.json", "tiny.yaml"]


def test_train_then_export_its_weights(tmp_path, tiny_space, run_cli):
    g = tiny_space.sample(4)
    (tmp_path / "g.json").write_text(g.to_json())
    rc, out, err = run_cli("train", "--genotype", tmp_path / "g.json", "--data", "digits", "--epochs", "1",
                           "--batch-size", "32", "--max-train", "96", "--seed", "1", "--device", "cpu",
                           "--out", tmp_path / "trained")
    assert rc == 0, err
    assert "epoch   1/1" in err and "val acc" in out
    assert sorted(p.name for p in (tmp_path / "trained").iterdir()) == ["genotype.json", "metrics.json",
                                                                         "settings.json", "weights.pt"]
    rc, out, err = run_cli("export", "--genotype", tmp_path / "g.json", "--weights",
                           tmp_path / "trained" / "weights.pt", "--out", tmp_path / "exp")
    assert rc == 0, err
    metrics = json.loads((tmp_path / "exp" / "metrics.json").read_text())
    assert metrics["input_size"] == [1, 8, 8] and metrics["num_classes"] == 10
    assert metrics["metrics"]["val_acc"] is not None


# ---------------------------------------------------------------- refusals

BAD_GENOTYPES = {
    "code_in_op": {"space": "nb201", "arch": "|nor_conv_3x3~0|+|nor_conv_3x3\nimport os~0|none~1|+|a~0|b~1|c~2|"},
    "import_call": {"space": "cells", "normal": [[0, "__import__('os')", 1, "conv_3x3"]],
                    "reduce": [[0, "conv_3x3", 1, "conv_3x3"]]},
    "newline_op": {"space": "pnas", "normal": [[0, "sep_conv_3x3\nimport os", 1, "identity"]]},
    "dangling": {"space": "pnas", "normal": [[0, "identity", 5, "identity"]]},
    "cycle": {"space": "pnas", "normal": [[0, "identity", 1, "identity"], [3, "identity", 0, "identity"]]},
    "unknown_key": {"space": "pnas", "normal": [[0, "identity", 1, "identity"]], "channels": 10 ** 9},
    "unknown_wrapper_key": {"genotype": {"space": "pnas", "normal": [[0, "identity", 1, "identity"]]},
                            "exec": "import os"},
    "space_code": {"space": "nb201\nimport os", "arch": "x"},
    "bool_index": {"space": "pnas", "normal": [[True, "identity", 1, "identity"]]},
    "not_object": [1, 2, 3],
}


@pytest.mark.parametrize("case", sorted(BAD_GENOTYPES))
def test_malicious_or_broken_genotypes_are_refused_with_nothing_written(tmp_path, run_cli, case):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(BAD_GENOTYPES[case]))
    rc, _, err = run_cli("export", "--genotype", path, "--out", tmp_path / "o")
    assert rc == 2
    assert err.startswith("nasx: error") and len(err.strip().splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.json"]


def test_bounds_on_sizes(tmp_path, run_cli):
    g = get_space("pnas").sample(0)
    (tmp_path / "g.json").write_text(g.to_json())
    for args in (["--num-classes", "1000000"], ["--input-size", "3x99999x8"], ["--input-size", "3x8"]):
        rc, _, err = run_cli("export", "--genotype", tmp_path / "g.json", *args, "--out", tmp_path / "o")
        assert rc == 2 and len(err.strip().splitlines()) == 1, args
    assert not (tmp_path / "o").exists()


def test_cli_bad_inputs_one_line_exit_2(tmp_path, run_cli):
    g = get_space("pnas").sample(0)
    (tmp_path / "g.json").write_text(g.to_json())
    other = get_space("nb201").build(get_space("nb201").sample(0), 10, (3, 8, 8))
    torch.save(other.state_dict(), tmp_path / "other.pt")
    (tmp_path / "evil.pt").write_bytes(b"\x80\x04not a real pickle")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("keep")
    cases = [
        ["--out", tmp_path / "o"],
        ["--genotype", tmp_path / "g.json", "--zoo", "lenet5", "--out", tmp_path / "o"],
        ["--genotype", tmp_path / "g.json", "--rank", "2", "--out", tmp_path / "o"],
        ["--genotype", tmp_path / "missing.json", "--out", tmp_path / "o"],
        ["--genotype", tmp_path / "g.json", "--space", "nb201", "--out", tmp_path / "o"],
        ["--zoo", "no_such_model", "--out", tmp_path / "o"],
        ["--genotype", tmp_path / "g.json", "--weights", tmp_path / "other.pt", "--out", tmp_path / "o"],
        ["--genotype", tmp_path / "g.json", "--weights", tmp_path / "evil.pt", "--out", tmp_path / "o"],
        ["--genotype", tmp_path / "g.json", "--out", tmp_path / "full"],
        [tmp_path / "not_a_run", "--out", tmp_path / "o"],
        ["--zoo", "lenet5", "--format", "tflite", "--out", tmp_path / "o"],
    ]
    for args in cases:
        rc, _, err = run_cli("export", *args)
        assert rc == 2, args
        assert err.startswith("nasx: error") and len(err.strip().splitlines()) == 1, (args, err)
    assert not (tmp_path / "o").exists()
    assert (tmp_path / "full" / "x").read_text() == "keep"
    rc, _, err = run_cli("train", "--genotype", tmp_path / "g.json", "--data", "nosuch:x", "--epochs", "1",
                         "--out", tmp_path / "t")
    assert rc == 2 and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "t").exists()
