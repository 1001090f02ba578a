"""Did a model learn? A baseline at chance accuracy says nothing about the architectures beside it.

Chance is the largest class's share of the validation split (1/classes when balanced). A model
*learned* when its validation accuracy closes at least `MARGIN` (a fifth) of the gap between chance
and perfect: 0.28 on 10 balanced classes, 0.60 on 2. A model that did not is marked in tables, run
files and pictures, and `why_not` gives the likely causes, cheapest fix first.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

MARGIN = 0.2
ENOUGH_STEPS = 300  # fewer optimizer steps than this rarely train a deep network from scratch


def chance(labels: torch.Tensor) -> float:
    """The accuracy of always answering the most frequent class of `labels`."""
    if len(labels) == 0:
        return 0.0
    return float(torch.bincount(labels.long()).max()) / len(labels)


def threshold(chance_acc: float) -> float:
    return chance_acc + MARGIN * (1.0 - chance_acc)


def learned(val_acc: float | None, chance_acc: float) -> bool:
    return val_acc is not None and val_acc >= threshold(chance_acc)


def depth(model: nn.Module) -> int:
    """Conv/linear layers on the way from input to output (what makes few steps too few)."""
    return sum(isinstance(m, (nn.Conv2d, nn.Linear)) for m in model.modules())


# (applies?, advice) over a context dict: status, reason, steps, params, depth, epochs, lr
CAUSES: list[tuple[Callable[[dict], bool], Callable[[dict], str]]] = [
    (lambda c: c["status"] != "ok", lambda c: f"training {c['status']}: {c['reason']}"),
    (lambda c: c["steps"] < ENOUGH_STEPS,
     lambda c: f"only {c['steps']} optimizer steps for a {c['depth']}-layer, {c['params']:,}-parameter network; "
               f"give the baselines more epochs (baseline_epochs in a search config, --epochs for nasx baselines) "
               f"or a smaller variant of the model"),
    (lambda c: c["lr"] >= 0.1, lambda c: f"learning rate {c['lr']:g} may be too high for it; try --recipe paper"),
]


def why_not(context: dict) -> str:
    """The likely causes of not learning, joined; a generic hint when none applies."""
    found = [advice(context) for applies, advice in CAUSES if applies(context)]
    return "; ".join(found) or "its training settings may not suit it; try more epochs or --recipe paper"


def verdict(name: str, val_acc: float | None, chance_acc: float, context: dict) -> str:
    """One line: `name` did not learn, the figures, and why it may have failed."""
    acc = "none" if val_acc is None else f"{val_acc:.3f}"
    return (f"baseline {name} did not learn: validation accuracy {acc}, chance {chance_acc:.3f}, "
            f"needed {threshold(chance_acc):.3f}; {why_not(context)}")


def assess(name: str, result, task, dataset) -> tuple[dict, str | None]:
    """({"chance", "learned"} for the record, the one-line verdict when zoo model `name` did not learn)."""
    from .zoo import create_model

    c = chance(dataset.y_val)
    val_acc = result.metrics.get("val_acc") if result.status == "ok" else None
    fields = {"chance": round(c, 4), "learned": learned(val_acc, c)}
    if fields["learned"]:
        return fields, None
    with torch.device("meta"):
        model = create_model(name, num_classes=dataset.num_classes, input_size=dataset.input_shape)
    ctx = {"status": result.status, "reason": result.reason, "depth": depth(model),
           "params": sum(p.numel() for p in model.parameters()), "epochs": task.epochs, "lr": task.lr,
           "steps": task.epochs * max(1, len(dataset.y_train) // task.batch_size)}
    return fields, verdict(name, val_acc, c, ctx)
