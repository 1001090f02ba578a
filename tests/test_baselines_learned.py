"""Baselines that did not learn are marked (nasx.learned), and log axes stay readable at any range."""

import csv
import itertools
import json

import matplotlib.pyplot as plt
import pytest
import torch
from searchutil import write_config

from nasx.learned import chance, learned, threshold
from nasx.plots import log_ticks, readable_log_axis


def test_chance_and_margin():
    assert chance(torch.tensor([0, 1, 2, 3] * 25)) == pytest.approx(0.25)
    assert chance(torch.tensor([0] * 70 + [1] * 30)) == pytest.approx(0.7)  # the majority class, not 1/classes
    assert threshold(0.1) == pytest.approx(0.28) and threshold(0.5) == pytest.approx(0.6)
    assert not learned(0.155, 0.1) and learned(0.97, 0.1) and not learned(None, 0.1)


def test_search_marks_a_baseline_that_did_not_learn(run_cli, tmp_path):
    """MobileNet v1 (28 layers, 3.2 M params) after 6 optimizer steps is at chance: the journal, the
    leaderboard, `show --json` and the CLI say so and why; one epoch more per baseline is the fix's knob."""
    cfg = write_config(tmp_path, budget="1trials", executor="inprocess", baselines=["mobilenet_v1"],
                       baseline_epochs=1)
    run = tmp_path / "run"
    rc, out, err = run_cli("search", "--config", cfg, "--run-dir", run)
    assert rc == 0, err
    rc, shown, _ = run_cli("show", run, "--json")
    (base,) = json.loads(shown)["baselines"]
    assert base["model"] == "mobilenet_v1" and base["epochs"] == 1
    assert base["learned"] is False and base["learned"] == learned(base["val_acc"], base["chance"])
    assert 0.05 < base["chance"] < 0.2  # digits: 10 near-balanced classes
    text = out + err
    assert "baseline mobilenet_v1 did not learn" in text and "optimizer steps" in text
    with open(run / "leaderboard.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["learned"] for r in rows if r["rank"] == "baseline"] == ["no"]
    assert all(r["learned"] == "" for r in rows if r["rank"] != "baseline")
    assert (run / "plots" / "pareto.png").stat().st_size > 1000
    assert "optimizer steps" in base["why_not"]
    rc, table, _ = run_cli("show", run)
    assert "(did not learn)" in table and "baseline mobilenet_v1 did not learn" in table


@pytest.mark.parametrize("lo, hi", [(3e5, 6e5), (2.9e5, 3.1e5), (1e3, 1e9), (50, 5e4), (1.2e6, 9e6), (1.0, 1.5)])
def test_log_axis_ticks_are_labelled_and_never_overlap(lo, hi):
    ticks = log_ticks(lo, hi)
    assert 2 <= len(ticks) <= 6 and all(lo <= t <= hi for t in ticks)
    fig, ax = plt.subplots(figsize=(5, 3), dpi=110)  # half of the Pareto figure's width
    ax.scatter([lo, hi], [0.5, 0.9])
    ax.set_xscale("log")
    ax.set_xlim(lo, hi)
    readable_log_axis(ax, "x")
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    labels = [t for t in ax.get_xticklabels() if t.get_visible() and t.get_text()]
    boxes = sorted((t.get_window_extent(renderer) for t in labels), key=lambda b: b.x0)
    plt.close(fig)
    assert len(boxes) >= 2 and all(len(t.get_text()) <= 5 for t in labels)
    assert all(a.x1 <= b.x0 for a, b in itertools.pairwise(boxes)), [t.get_text() for t in labels]
