"""`nasx train` of a language model (a recurrent cell, `--recipe darts_rnn`): the training folder,
checkpoints and resume (ASGD's averages included), export with the vocabulary, generate, and the
image-only inputs refused in one line."""

from __future__ import annotations

import io
import json
import math
import random

import pytest
import torch

from nasx.errors import Interrupted
from nasx.lm import LMTask, train_lm
from nasx.spaces import get_space
from nasx.text import load_corpus


def patterned_text(lines: int = 800, seed: int = 0) -> str:
    """~20k characters of a tiny grammar's sentences."""
    rng = random.Random(seed)
    words = (["the", "king", "a"], ["king", "queen"], ["speaks", "loves", "sees"], ["a", "the"],
             ["ghost", "crown", "night"])
    return "\n".join(" ".join(rng.choice(w) for w in words) + "." for _ in range(lines)) + "\n"


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny recurrent steps gain nothing from a second thread, and on a busy machine its spinning costs
    many times over (the comparisons below run both sides in this process, at this count)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def text_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("text") / "corpus.txt"
    path.write_text(patterned_text(), encoding="utf-8")
    return path


def _cli_args(text_file, *more):
    return ("train", "--genotype", "darts_v2_rnn", "--recipe", "darts_rnn", "--data", f"text:{text_file}",
            "--network", "hidden=16", "--max-train", "6000", "--device", "cpu", *more)


def _listing(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def _weights(path) -> dict:
    return torch.load(path, weights_only=True)


def test_train_a_darts_cell_into_a_folder_export_and_generate(run_cli, tmp_path, text_file):
    rc, out, err = run_cli(*_cli_args(text_file, "--epochs", "2", "--out", tmp_path / "t"))
    assert rc == 0, err
    assert "recipe darts_rnn" in err and "epoch   2/2" in err and "val bits/token" in err and "ETA" in err
    assert "test bits/token" in out and "test perplexity" in out
    assert _listing(tmp_path / "t") == ["genotype.json", "metrics.json", "settings.json", "weights.pt"]
    rec = json.loads((tmp_path / "t" / "metrics.json").read_text())
    m, vocab = rec["metrics"], load_corpus(f"text:{text_file}").vocab_size
    assert m["epochs_done"] == 2 and m["val_bpc"] < math.log2(vocab) and m["test_bpc"] > 0
    assert m["val_bpc"] == pytest.approx(m["val_loss"] / math.log(2)) and m["test_ppl"] == pytest.approx(
        math.exp(m["test_loss"]))
    assert m["params"] > 0 and m["macs"] > 0 and m["device_seconds"] > 0 and len(rec["history"]) == 2
    assert rec["recipe"] == "darts_rnn" and rec["num_classes"] == vocab and rec["input_size"] == [35]
    t = rec["task"]  # the recipe: DARTS's rnn/train.py
    assert (t["batch_size"], t["lr"], t["grad_clip"], t["weight_decay"], t["bptt"], t["asgd_nonmono"]) == (
        64, 20.0, 0.25, 8e-7, 35, 5)
    b = rec["build"]
    assert b["space"] == "rnn_darts" and b["num_classes"] == vocab and b["input_size"] == [35]
    assert b["data"] == f"text:{text_file}" and b["level"] == "char"
    assert b["network"] == {"hidden": 16, "dropout": 0.75, "dropouth": 0.25, "dropoutx": 0.75, "dropouti": 0.2,
                            "dropoute": 0.1}  # the recipe's dropouts, the option's size over its 850

    rc, out, err = run_cli("export", tmp_path / "t", "--out", tmp_path / "e")
    assert rc == 0, err
    assert "round-trip check: max abs diff" in out and "tokens (vocab" in out
    assert "vocab.json" in _listing(tmp_path / "e")
    tokens = json.loads((tmp_path / "e" / "vocab.json").read_text())["tokens"]
    assert len(tokens) == vocab
    trained = _weights(tmp_path / "t" / "weights.pt")
    assert all(torch.equal(v, trained[k]) for k, v in _weights(tmp_path / "e" / "weights.pt").items())
    rc, out, err = run_cli("generate", tmp_path / "e", "--prompt", "the king", "--length", "30", "--seed", "1")
    assert rc == 0, err
    assert out.startswith("the king") and len(out.rstrip("\n")) == len("the king") + 30
    assert set(out) <= set(tokens) | {"\n"}


def test_interrupted_folder_resumes_to_the_uninterrupted_result(run_cli, tmp_path, text_file):
    """Ctrl-C after epoch 1 (KeyboardInterrupt from the checkpoint hook) keeps the checkpoint;
    `nasx train --resume` ends with the weights and metrics of an uninterrupted training."""
    from nasx.training import TrainingOptions, train_folder

    options = TrainingOptions(genotype_file="darts_v2_rnn", recipe="darts_rnn", data=f"text:{text_file}",
                              network_items=("hidden=16",), max_train=6000, device="cpu", epochs=3,
                              out=tmp_path / "cut")

    def ctrl_c(state):
        if state["epoch"] == 1:
            raise KeyboardInterrupt

    with pytest.raises(Interrupted, match="after epoch 1"):
        train_folder(options, on_checkpoint=ctrl_c)
    assert _listing(tmp_path / "cut") == ["checkpoint.pt", "genotype.json", "settings.json"]
    rc, _, err = run_cli("train", "--resume", tmp_path / "cut", "--cutout", "2")
    assert rc == 2 and len(err.strip().splitlines()) == 1 and "--cutout does not apply" in err, err
    rc, _, err = run_cli("train", "--resume", tmp_path / "cut")
    assert rc == 0, err
    assert "resuming after epoch 1" in err and "epoch   3/3" in err
    rc, _, err = run_cli(*_cli_args(text_file, "--epochs", "3", "--out", tmp_path / "straight"))
    assert rc == 0, err
    cut = json.loads((tmp_path / "cut" / "metrics.json").read_text())
    straight = json.loads((tmp_path / "straight" / "metrics.json").read_text())
    assert cut["resumed_after_epochs"] == [1] and not straight["resumed_after_epochs"]
    for key in ("train_loss", "val_loss", "val_bpc", "test_bpc", "test_ppl", "params", "macs", "epochs_done"):
        assert cut["metrics"][key] == straight["metrics"][key], key
    assert [h["val_loss"] for h in cut["history"]] == [h["val_loss"] for h in straight["history"]]
    w_cut, w_straight = _weights(tmp_path / "cut" / "weights.pt"), _weights(tmp_path / "straight" / "weights.pt")
    assert all(torch.equal(w_cut[k], v) for k, v in w_straight.items())


def test_train_a_trial_of_a_language_model_run_with_its_settings(run_cli, tmp_path, text_file):
    import yaml
    from searchutil import journal

    cfg = {"space": "rnn_darts", "strategy": "random", "budget": "1trials", "epochs": 1, "seed": 0,
           "data": f"text:{text_file}", "network": {"embedding": 16, "hidden": 16},
           "task": {"batch_size": 16, "max_train": 6000}, "executor": "inprocess", "dashboard": False}
    (tmp_path / "lm.yaml").write_text(yaml.safe_dump(cfg))
    rc, _, err = run_cli("search", "--config", tmp_path / "lm.yaml", "--run-dir", tmp_path / "run")
    assert rc == 0, err
    trial = journal(tmp_path / "run")[0]
    rc, _, err = run_cli("train", "--run", tmp_path / "run", "--device", "cpu", "--out", tmp_path / "t")
    assert rc == 0, err
    assert f"trial {trial['id']}" in err and "batch_size 16" in err and "max_train 6000" in err
    rec = json.loads((tmp_path / "t" / "metrics.json").read_text())
    assert rec["from_run"]["trial"] == trial["id"] and rec["build"]["network"] == {"embedding": 16, "hidden": 16}
    assert (rec["task"]["batch_size"], rec["task"]["max_train"], rec["task"]["epochs"]) == (16, 6000, 1)
    # the same protocol, seed and data as the trial: the same result
    assert rec["metrics"]["val_bpc"] == pytest.approx(trial["metrics"]["val_bpc"], rel=1e-6)


def _through_disk(state: dict) -> dict:
    buf = io.BytesIO()
    torch.save(state, buf)
    buf.seek(0)
    return torch.load(buf, weights_only=True)


def test_train_lm_resumes_averaged_sgd_exactly(tmp_path):
    """Stopped after epoch 4, when averaged SGD has run an epoch (its `ax` in the checkpoint), and
    resumed from the checkpoint through torch.save / weights_only load: the same weights and metrics
    as 5 straight epochs. Random characters stall validation, so the switch comes early."""
    rng = random.Random(0)
    path = tmp_path / "random.txt"
    path.write_text("".join(rng.choice("abcdefgh \n") for _ in range(20000)), encoding="utf-8")
    corpus = load_corpus(f"text:{path}")
    task = LMTask.from_dict({"data": f"text:{path}", "epochs": 5, "recipe": "darts_rnn", "asgd_nonmono": 1,
                             "device": "cpu"})
    space = get_space("rnn_darts").with_network(hidden=16)

    def model(seed=0):
        torch.manual_seed(seed)
        return space.build(space.seed_genotype("darts_v2_rnn"), num_classes=corpus.vocab_size)

    straight_net, states = model(), []
    straight = train_lm(straight_net, corpus, task, checkpoint=states.append)
    assert straight.status == "ok" and [s["epoch"] for s in states] == [1, 2, 3, 4, 5]
    first_states = []
    first = train_lm(model(), corpus, task, lambda e, m: e < 4, checkpoint=first_states.append)
    assert first.status == "stopped" and len(first_states) == 4
    state = _through_disk(first_states[-1])
    assert state["optimizer"]["name"] == "asgd" and state["optimizer"]["state"]["state"], "ASGD has not run yet"
    resumed_net = model(seed=123)  # other initial weights: everything comes from the checkpoint
    resumed = train_lm(resumed_net, corpus, task, resume=state)
    assert resumed.status == "ok"
    for k, v in straight_net.state_dict().items():
        assert torch.equal(v, resumed_net.state_dict()[k]), k
    for key in ("train_loss", "val_loss", "test_loss", "epochs_done", "asgd_from_epoch"):
        assert straight.metrics[key] == resumed.metrics[key], key


def test_image_and_language_options_are_refused_in_one_line(run_cli, tmp_path, text_file):
    from nasx.cli.train import RECIPES
    from nasx.tasks import TASK_KINDS

    assert sorted(RECIPES) == sorted(r for k in TASK_KINDS for r in TASK_KINDS[k].train_recipes())
    lm = ("train", "--genotype", "darts_v2_rnn", "--epochs", "1", "--network", "hidden=16", "--out", tmp_path / "o")
    cnn = ("train", "--genotype", "darts_v2", "--data", "digits", "--epochs", "1", "--out", tmp_path / "o")
    cases = {
        "LM recipe on a CNN": ([*cnn, "--recipe", "darts_rnn"], "--recipe darts_rnn is for language-modelling"),
        "CNN recipe on an LM": ([*lm, "--data", "shakespeare", "--recipe", "darts"], "--recipe darts is for image"),
        "cutout on an LM": ([*lm, "--data", f"text:{text_file}", "--cutout", "4"], "--cutout does not apply"),
        "channels on an LM": ([*lm, "--data", f"text:{text_file}", "--channels", "8"], "--channels does not apply"),
        "image data for an LM": ([*lm, "--data", "digits"], "reads shakespeare, text"),
        "untied sizes": ([*lm, "--data", f"text:{text_file}", "--network", "embedding=8"], "must equal hidden"),
    }
    before = _listing(tmp_path)
    for name, (args, words) in cases.items():
        rc, _, err = run_cli(*args)
        assert rc == 2 and err.startswith("nasx: error") and len(err.strip().splitlines()) == 1, (name, err)
        assert words in err, (name, err)
        assert _listing(tmp_path) == before, name
