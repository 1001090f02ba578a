"""Training recipes for `nasx baselines --recipe`: the engine's common protocol or each paper's, scaled.

The zoo keeps each model's paper recipe as plain data (`nasx.zoo.model_info(name)["recipe"]`);
turning it into a `Task` is evaluation's job, so it lives here and the zoo never imports evaluate.
(The final-training recipes of found cells, `nasx train --recipe darts`, are `nasx.evaluate.recipes`.)

A paper recipe is written for ImageNet-scale runs of 90+ epochs on
many GPUs; `paper_task` maps it onto a `Task` for the data set at hand:
  - epochs come from the command line (the paper's epoch or iteration counts do not transfer);
  - the batch size is the paper's, capped by the training split (batches drop the last partial one);
  - the learning rate is the paper's, scaled linearly with the batch size (Goyal et al. 2017);
  - momentum, Nesterov, weight decay, label smoothing and gradient clipping are the paper's, where
    it states a number (papers before 2016 used no label smoothing and no clipping: 0 / off);
  - the schedule is the nearest of the engine's: a step decay ("divide by 10 when the validation
    error stalls", or at fixed milestones) becomes `step` (x0.1 at 50% and 75% of training), a
    smooth decay (x0.94 per epoch, linear to 0) becomes `cosine`.
The engine trains with SGD only: for RMSProp / SDLM recipes the optimizer and its learning rate do
not transfer, so the common learning rate is kept. Every such approximation is returned as a note.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from numbers import Real

from ..zoo import model_info
from .task import Task

# (does this lr_schedule text/dict match?, engine schedule, note) -- first match wins
SCHEDULE_RULES: list[tuple[Callable[[object], bool], str, str]] = [
    (lambda s: isinstance(s, Mapping) and _milestones(s) == (0.5, 0.75), "step", ""),
    (lambda s: isinstance(s, Mapping), "step",
     "step decays at the paper's milestones approximated as x0.1 at 50% and 75% of training"),
    (lambda s: isinstance(s, str) and any(w in s for w in ("divide by 10", "anneal")), "step",
     "'divide by 10 when validation stalls' approximated as a step schedule (x0.1 at 50% and 75%)"),
    (lambda s: isinstance(s, str) and any(w in s for w in ("x0.9", "decrease", "linear")), "cosine",
     "a smooth (exponential / linear) decay approximated by cosine decay"),
]


def _milestones(schedule: Mapping) -> tuple[float, ...] | None:
    """Milestones as fractions of training, when the recipe gives both the milestones and the end."""
    for at_key, end_key in (("divide_by_10_at_iterations", "stop_at_iteration"),
                            ("divide_by_10_at_epochs", "stop_at_epochs")):
        at, end = schedule.get(at_key), schedule.get(end_key)
        if at and end:
            return tuple(round(a / end, 3) for a in at)
    return None


def _number(recipe: Mapping, key: str) -> float | None:
    v = recipe.get(key)
    return float(v) if isinstance(v, Real) and not isinstance(v, bool) else None


def common_task(name: str, base: Task, train_size: int) -> tuple[Task, list[str]]:
    """The engine's protocol, the same for every model (what a search trains candidates with)."""
    return base, []


def paper_task(name: str, base: Task, train_size: int) -> tuple[Task, list[str]]:
    """`base` (data, epochs, seed, device...) with `name`'s paper recipe scaled to `train_size` images."""
    recipe = dict(model_info(name)["recipe"])
    if isinstance(recipe.get("lr_schedule"), Mapping) and "epochs" in recipe:  # epoch milestones: end = epochs
        recipe["lr_schedule"] = {**recipe["lr_schedule"], "stop_at_epochs": recipe["epochs"]}
    notes, changes = [], {}
    sgd = str(recipe.get("optimizer", "")).startswith("sgd")
    if not sgd:
        notes.append(f"paper optimizer {recipe.get('optimizer', 'unstated')!r} replaced by SGD; common lr kept")
    paper_bs = recipe.get("batch_size")
    if isinstance(paper_bs, int) and not isinstance(paper_bs, bool):
        changes["batch_size"] = max(1, min(paper_bs, train_size))
        if changes["batch_size"] < paper_bs:
            notes.append(f"batch size {paper_bs} capped at the {train_size} training images")
    else:
        notes.append(f"paper batch size unstated ({paper_bs!r}); common batch size kept")
    lr = _number(recipe, "lr")
    if sgd and lr is not None:
        bs = changes.get("batch_size", base.batch_size)
        ref = paper_bs if isinstance(paper_bs, int) and not isinstance(paper_bs, bool) else bs
        changes["lr"] = lr * bs / ref
    elif sgd:
        notes.append("paper learning rate unstated; common lr kept")
    for key, field in (("momentum", "momentum"), ("weight_decay", "weight_decay")):
        value = _number(recipe, key)
        if value is not None:
            changes[field] = value
        else:
            stated = "unstated" if recipe.get(key) is None else f"not a number ({recipe[key]!r})"
            notes.append(f"paper {key} {stated}; common {field} kept")
    changes["nesterov"] = recipe.get("nesterov") is True
    changes["label_smoothing"] = _number(recipe, "label_smoothing") or 0.0
    changes["grad_clip"] = _number(recipe, "gradient_clip")
    changes["warmup"] = 0.0
    schedule = recipe.get("lr_schedule")
    for matches, name_, note in SCHEDULE_RULES:
        if matches(schedule):
            changes["schedule"] = name_
            notes += [note] if note else []
            break
    else:
        notes.append(f"paper schedule {schedule!r} unknown; common {base.schedule} schedule kept")
    return dataclasses.replace(base, **changes), notes


BASELINE_RECIPES: dict[str, Callable[[str, Task, int], tuple[Task, list[str]]]] = {
    "common": common_task, "paper": paper_task}
