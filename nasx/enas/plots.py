"""The ENAS picture: the controller's mean reward and its entropy per epoch (plots/enas.png); the
reward is a shared-weight accuracy (images) or c / perplexity (language models)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt


def enas_plot(history: list[dict], path: Path, title: str = "", warmup: int = 0,
              labels: tuple[str, str] = ("mean reward (val acc)", "shared-weight accuracy")) -> Path:
    """Reward (with baseline) and entropy per epoch; warm-up epochs (controller frozen) shaded.
    `labels`: the reward's legend entry and axis (the search's `plot_labels`: what its reward is)."""
    epochs = [h["epoch"] for h in history]
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 3.8), dpi=110)
    a.plot(epochs, [h.get("reward") for h in history], marker="o", label=labels[0])
    a.plot(epochs, [h.get("baseline") for h in history], ls="--", label="baseline")
    a.set_xlabel("epoch")
    a.set_ylabel(labels[1])
    a.legend(loc="lower right")
    b.plot(epochs, [h.get("entropy") for h in history], marker="o", color="C2")
    b.set_xlabel("epoch")
    b.set_ylabel("controller entropy (nats per architecture)")
    for ax in (a, b):
        ax.grid(alpha=0.3)
        if warmup > 0 and epochs:
            ax.axvspan(min(epochs) - 0.5, min(warmup, max(epochs)) + 0.5, color="0.85", zorder=0,
                       label="warm-up (controller frozen)")
    if warmup > 0 and epochs:
        b.legend(loc="upper right")
    fig.suptitle(title or "ENAS controller")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path
