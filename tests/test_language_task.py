"""The language-modelling task kind end to end: a recurrent-cell search on text (Ray), its final
phase against a same-size LSTM, show, export with the vocabulary, generate; the trainer learns and
fails cleanly; bad input is one line."""

from __future__ import annotations

import json
import math
import random

import pytest
import torch
import yaml
from searchutil import journal, write_config

from nasx.errors import NasxError
from nasx.lm import LMTask, train_lm
from nasx.spaces import get_space
from nasx.text import load_corpus


def patterned_text(lines: int = 1500, seed: int = 0) -> str:
    """Sentences of a tiny grammar: far from random characters, so a model that learns shows it."""
    rng = random.Random(seed)
    out = []
    for _ in range(lines):
        out.append(" ".join([rng.choice(["the", "king", "a"]), rng.choice(["king", "queen"]),
                             rng.choice(["speaks", "loves", "sees"]), rng.choice(["a", "the"]),
                             rng.choice(["ghost", "crown", "night"])]) + ".")
    return "\n".join(out) + "\n"


@pytest.fixture(scope="module")
def text_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("text") / "corpus.txt"
    path.write_text(patterned_text(), encoding="utf-8")
    return path


def _model(corpus, size=32, seed=0):
    space = get_space("rnn_darts").with_network(embedding=size, hidden=size)
    torch.manual_seed(seed)
    return space.build(space.seed_genotype("darts_v2"), num_classes=corpus.vocab_size)


def test_a_darts_cell_learns_a_patterned_text(text_file):
    corpus = load_corpus(f"text:{text_file}")
    task = LMTask.from_dict({"data": f"text:{text_file}", "epochs": 3, "batch_size": 16, "device": "cpu"})
    res = train_lm(_model(corpus), corpus, task)
    assert res.status == "ok", res.reason
    m = res.metrics
    chance = math.log2(corpus.vocab_size)
    assert m["val_bpc"] < 0.6 * chance and m["test_bpc"] < 0.6 * chance, (m, chance)
    assert m["val_bpc"] == pytest.approx(m["val_loss"] / math.log(2))
    assert m["val_ppl"] == pytest.approx(math.exp(m["val_loss"]))
    assert m["epochs_done"] == 3 and m["train_loss"] > 0


def test_a_diverging_candidate_is_a_failed_result_not_an_exception(text_file):
    corpus = load_corpus(f"text:{text_file}")
    task = LMTask.from_dict({"data": f"text:{text_file}", "epochs": 2, "lr": 1e30, "grad_clip": 1e30,
                             "device": "cpu"})
    res = train_lm(_model(corpus), corpus, task)
    assert res.status == "failed" and "diverged" in res.reason


def test_asgd_recipe_evaluates_with_the_averaged_weights(tmp_path):
    """darts_rnn switches SGD to averaged SGD after a plateau: on i.i.d. random characters nothing
    can be learned past their entropy, validation stalls, averaging starts, and the model ends with
    the averaged weights it was evaluated with."""
    rng = random.Random(0)
    path = tmp_path / "random.txt"
    path.write_text("".join(rng.choice("abcdefgh \n") for _ in range(20000)), encoding="utf-8")
    corpus = load_corpus(f"text:{path}")
    task = LMTask.from_dict({"data": f"text:{path}", "epochs": 6, "recipe": "darts_rnn", "asgd_nonmono": 1,
                             "batch_size": 16, "device": "cpu"})
    assert task.weight_decay == 8e-7 and task.batch_size == 16  # the recipe under the explicit settings
    model = _model(corpus, size=16)
    res = train_lm(model, corpus, task)
    assert res.status == "ok", res.reason
    assert 2 <= res.metrics.get("asgd_from_epoch", 0) <= 6, res.metrics
    assert res.metrics["val_bpc"] == pytest.approx(math.log2(10), abs=0.05)  # the characters' entropy
    from nasx.lm import evaluate_lm
    from nasx.text import batchify

    again = evaluate_lm(model, batchify(corpus.test, task.eval_batch_size), task.bptt)
    assert again == pytest.approx(res.metrics["test_loss"], rel=1e-5)


def test_task_settings_are_checked_in_one_line():
    with pytest.raises(NasxError, match="unknown key"):
        LMTask.from_dict({"label_smoothing": 0.1})
    with pytest.raises(NasxError, match="level"):
        LMTask.from_dict({"level": "byte"})
    with pytest.raises(NasxError, match="recipe"):
        LMTask.from_dict({"recipe": "awd"})
    with pytest.raises(NasxError, match="vocab_size"):
        LMTask.from_dict({"vocab_size": 1})


def _config(tmp_path, text_file, **over):
    cfg = {"space": "rnn_darts", "strategy": "random", "budget": "3trials", "epochs": 1, "seed": 0,
           "data": f"text:{text_file}", "network": {"embedding": 16, "hidden": 16},
           "task": {"batch_size": 16, "max_train": 8000}, "ray_num_cpus": 2, "cpus_per_trial": 1,
           "dashboard": False, **over}
    path = tmp_path / "lm.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def test_lm_search_on_ray_with_final_phase_show_export_generate(run_cli, tmp_path, text_file):
    cfg = _config(tmp_path, text_file, baselines=["lstm_lm"], final={"top": 1, "seeds": 2, "epochs": 1})
    run = tmp_path / "run"
    rc, out, err = run_cli("search", "--config", cfg, "--run-dir", run)
    assert rc == 0, err
    trials = journal(run)
    assert len(trials) == 3 and all(t["status"] == "ok" for t in trials)
    for t in trials:
        m = t["metrics"]
        assert m["val_bpc"] > 0 and m["test_bpc"] > 0 and m["val_ppl"] > 1 and m["params"] > 0
        assert t["build"]["input_size"] == [35] and t["build"]["num_classes"] == load_corpus(
            f"text:{text_file}").vocab_size
    board = [json.loads(line) for line in (run / "journal.jsonl").read_text().splitlines()]
    finals = [r for r in board if r.get("event") == "final"]
    assert len(finals) == 4 and all(r["status"] == "ok" for r in finals)
    found = [r for r in finals if r["kind"] == "found"]
    base = [r for r in finals if r["kind"] == "baseline"]
    # the LSTM is resized to the found network's parameter count (within 10%)
    assert base[0]["metrics"]["params"] == pytest.approx(found[0]["metrics"]["params"], rel=0.1)
    rc, out, err = run_cli("show", run)
    assert rc == 0, err
    assert "val_bpc" in out and "lstm_lm" in out and "verdict" in out
    # lower is better: the leaderboard's first row has the smallest val_bpc
    lines = (run / "leaderboard.csv").read_text().splitlines()
    header = lines[0].split(",")
    vals = [float(r.split(",")[header.index("val_bpc")]) for r in lines[1:] if not r.startswith("baseline")]
    assert vals == sorted(vals)
    rc, out, err = run_cli("export", run, "--out", tmp_path / "exp", "--format", "pt2,onnx")
    assert rc == 0, err
    assert "round-trip check" in out
    formats = json.loads((tmp_path / "exp" / "metrics.json").read_text())["formats"]
    assert formats["onnx"]["length"] == [35] and formats["pt2"]["batch"] == "dynamic"
    vocab = json.loads((tmp_path / "exp" / "vocab.json").read_text())
    assert vocab["level"] == "char" and len(vocab["tokens"]) == load_corpus(f"text:{text_file}").vocab_size
    import nasx

    net = nasx.load(tmp_path / "exp")
    logits, _hidden = net(torch.zeros(2, 7, dtype=torch.long))
    assert logits.shape == (2, 7, len(vocab["tokens"]))
    rc, out_run, err = run_cli("generate", run, "--prompt", "the king", "--length", "40", "--seed", "3")
    assert rc == 0, err
    rc, out_exp, err = run_cli("generate", tmp_path / "exp", "--prompt", "the king", "--length", "40", "--seed", "3")
    assert rc == 0, err
    assert out_run == out_exp and out_run.startswith("the king") and len(out_run.rstrip("\n")) == len("the king") + 40
    assert set(out_run) <= set(vocab["tokens"]) | {"\n"}


def test_bad_lm_input_is_one_line_exit_2(run_cli, tmp_path, text_file):
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    binary = tmp_path / "bin.txt"
    binary.write_bytes(b"\x00\x01\x02" * 100)
    cases = [({"data": f"text:{empty}"}, "empty"), ({"data": f"text:{binary}"}, "binary"),
             ({"data": f"text:{tmp_path / 'missing.txt'}"}, "missing.txt"), ({"data": "digits"}, "digits"),
             ({"task": {"level": "byte"}}, "level"), ({"network": {"embedding": 0}}, "embedding")]
    for i, (over, word) in enumerate(cases):
        path = tmp_path / f"case{i}.yaml"
        path.write_text(_config(tmp_path, text_file, **over).read_text())
        rc, out, err = run_cli("search", "--config", path, "--run-dir", tmp_path / f"run{i}")
        assert rc == 2, (word, out, err)
        assert len(err.strip().splitlines()) == 1 and word in err, (word, err)
        assert not (tmp_path / f"run{i}").exists()


def test_generate_refuses_an_image_run(run_cli, tmp_path):
    cfg = write_config(tmp_path, budget="1trials", executor="inprocess")
    rc, _, err = run_cli("search", "--config", cfg, "--run-dir", tmp_path / "img")
    assert rc == 0, err
    rc, _out, err = run_cli("generate", tmp_path / "img")
    assert rc == 2 and len(err.strip().splitlines()) == 1 and "image" in err, err


def test_macs_count_torch_fused_recurrent_layers():
    """torch.utils.flop_counter does not see nn.LSTM / nn.GRU (one fused op); nasx adds them, so an
    LSTM baseline and a searched cell compare by MACs as by params."""
    from nasx.inputs import InputSpec
    from nasx.lm_baselines import create_lm_baseline
    from nasx.measure import count_macs

    spec = InputSpec((35,), vocab=83)
    lstm = create_lm_baseline("lstm_lm", 83, embedding=98, hidden=98)
    assert count_macs(lstm, spec) == 35 * (4 * 98 * (98 + 98) + 98 * 83)  # gates + decoder, per token
    lstm2 = create_lm_baseline("lstm2_lm", 83, embedding=40, hidden=40)
    assert count_macs(lstm2, spec) == 35 * (2 * 4 * 40 * 80 + 40 * 83)


def test_network_items_on_sample_export_and_search(run_cli, tmp_path, text_file):
    """`--network KEY=VALUE` works on every command that builds a network (one parser)."""
    rc, out, err = run_cli("sample", "--space", "rnn_darts", "--network", "hidden=16", "--seed", "1", "--json")
    assert rc == 0, err
    small = json.loads(out)["params"]
    rc, out, err = run_cli("sample", "--space", "rnn_darts", "--network", "hidden=32", "--seed", "1", "--json")
    assert json.loads(out)["params"] > small and json.loads(out)["input_size"] == "35 tokens (vocab 10)"
    rc, out, err = run_cli("export", "--genotype", "darts_v2_rnn", "--network", "hidden=32", "--num-classes", "50",
                           "--out", tmp_path / "exp", "--no-check")
    assert rc == 0, err
    assert json.loads((tmp_path / "exp" / "metrics.json").read_text())["params"] == 50 * 32 + 50 + 64 * 64 + 8 * 32 * 64
    rc, _, err = run_cli("export", "--genotype", "darts_v2_rnn", "--network", "hidden", "--out", tmp_path / "bad")
    assert rc == 2 and "KEY=VALUE" in err and not (tmp_path / "bad").exists()
    cfg = _config(tmp_path, text_file, budget="1trials", executor="inprocess")
    rc, _, err = run_cli("search", "--config", cfg, "--network", "hidden=12", "--network", "embedding=12",
                         "--run-dir", tmp_path / "run")
    assert rc == 0, err
    assert journal(tmp_path / "run")[0]["build"]["network"]["hidden"] == 12
