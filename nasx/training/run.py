"""One final training, from options to a finished training folder (nasx.training.folder).

    prepared = prepare_training(TrainingOptions(genotype_file="g.json", data="digits", epochs=20))
    outcome = run_training(prepared, on_epoch=print)     # or train_folder(options) for both

`prepare_training` resolves the settings (nasx.training.settings) or reads a resumed folder's
checkpoint, and builds space, data and network, so every refusal (a bad network key, cutout larger
than the images, drop-path without support) comes before anything is written. The genotype's task
kind loads the data (images, or a text corpus), builds and trains the network (nasx.evaluate's
trainer, or nasx.lm's) and writes the build record (nasx.tasks.TaskKind). `run_training`
then creates the folder, trains with a checkpoint after every epoch, and finishes the folder with
weights.pt and metrics.json (with the `build` record). Ctrl-C / SIGTERM (KeyboardInterrupt) leaves
the last epoch's checkpoint and raises `Interrupted` naming the command that continues it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch

from .. import atomic
from ..errors import Interrupted, NasxError
from . import folder
from .settings import TrainingOptions, check_resume_options, kind_of_space, new_settings


@dataclass
class PreparedTraining:
    """Everything checked and built; nothing written yet."""

    genotype: object
    settings: dict
    task: object  # the kind's task: nasx.evaluate.Task, nasx.lm.LMTask
    out_dir: Path
    space: object
    dataset: object  # what the kind's load_data gives: a Dataset, a text Corpus
    net: torch.nn.Module
    state: dict | None = None  # the checkpoint a resumed training continues from
    notes: list[str] = field(default_factory=list)  # what the settings came from, to show once
    force: bool = False
    kind: object = None  # nasx.tasks.TaskKind of the genotype's space

    @property
    def first_epoch(self) -> int:
        return int(self.state["epoch"]) + 1 if self.state else 1

    @property
    def resumed_at(self) -> list[int]:
        """The epochs after which this training was resumed, this session's included."""
        return list(self.state.get("resumed_at", [])) + [self.first_epoch - 1] if self.state else []

    def describe(self) -> str:
        g, task = self.genotype, self.task
        return (f"training {g.space} {g.hash[:8]} on {self.kind.describe_data(self.dataset)}, "
                f"{task.epochs} epochs" + (f", resuming after epoch {self.first_epoch - 1} from {self.out_dir}"
                                           if self.state else f", into {self.out_dir}"))


@dataclass
class TrainingOutcome:
    out_dir: Path
    metrics: dict
    record: dict  # what metrics.json holds


def _build(g, settings: dict, task, kind):
    """(space, data, network) for `settings`, every refusal (bad network key, cutout larger than the
    images, drop-path without support) raised before anything is written."""
    from ..spaces import get_space

    sp = get_space(settings["space"])
    if settings["network"]:
        sp = sp.with_network(**settings["network"])
    data = kind.load_data(task)
    torch.manual_seed(task.seed)
    return sp, data, kind.training_network(sp, g, data, task)


def prepare_training(options: TrainingOptions) -> PreparedTraining:
    """A new training (settings from run defaults < recipe < options) or `options.resume_dir`'s
    continuation (its recorded settings; only `device` may change), checked and built."""
    from ..spaces import read_genotype

    o = options
    if o.resume_dir:
        out_dir = Path(o.resume_dir)
        state = folder.load_checkpoint(out_dir)
        settings = state["settings"]
        check_resume_options(out_dir, settings, o)
        g = read_genotype(out_dir / folder.GENOTYPE)
        if g.hash != settings.get("hash"):
            raise NasxError(f"--resume {out_dir}: genotype.json does not match the checkpoint's architecture")
        notes: list[str] = []
    else:
        state = None
        g, settings, notes = new_settings(o)
        settings["format"] = folder.FORMAT
        out_dir = Path(o.out) if o.out else Path("runs") / f"train-{g.space}-{g.hash[:8]}"
        atomic.prepare_target(out_dir, o.force)
    kind = kind_of_space(settings["space"])
    task = kind.make_task({**settings["task"], **({"device": o.device} if o.device else {})})
    sp, dataset, net = _build(g, settings, task, kind)
    return PreparedTraining(g, settings, task, out_dir, sp, dataset, net, state, notes, bool(o.force), kind)


def run_training(p: PreparedTraining, on_epoch: Callable[[int, dict], None] | None = None,
                 on_checkpoint: Callable[[dict], None] | None = None) -> TrainingOutcome:
    """Train `p` into its folder: `on_epoch(epoch, metrics)` after every epoch, `on_checkpoint(state)`
    after every checkpoint is written. Interrupted (KeyboardInterrupt) or failed, the last
    checkpoint stays (resumable); a training that ended before one epoch leaves nothing."""
    created: list[Path] = []
    if p.state is None:  # everything is checked: now the folder appears
        created = folder.create(p.out_dir, p.settings, p.genotype, p.force)
    resumed_at = p.resumed_at
    last = {"state": p.state}

    def checkpoint(s: dict) -> None:
        s["settings"], s["resumed_at"] = p.settings, resumed_at
        folder.save_checkpoint(p.out_dir, s)
        last["state"] = s
        if on_checkpoint is not None:
            on_checkpoint(s)

    try:
        result = p.kind.train_network(p.net, p.dataset, p.task, on_epoch, checkpoint=checkpoint, resume=p.state)
    except KeyboardInterrupt:  # Ctrl-C / SIGTERM: the last epoch's checkpoint stays, resumable
        if last["state"] is None:  # not one epoch done: nothing worth keeping
            folder.discard(p.out_dir, created)
            raise Interrupted(f"interrupted in the first epoch; nothing written to {p.out_dir}") from None
        raise Interrupted(f"interrupted after epoch {last['state']['epoch']}", run_dir=str(p.out_dir),
                          command="train --resume") from None
    if not result.ok:
        if last["state"] is None:  # nothing worth keeping
            folder.discard(p.out_dir, created)
            raise NasxError(f"training {result.status}: {result.reason}")
        raise NasxError(f"training {result.status}: {result.reason} (the checkpoint of epoch "
                        f"{last['state']['epoch']} stays in {p.out_dir})")
    g, ds, task = p.genotype, p.dataset, p.task
    build = {"space": g.space, **p.kind.training_build(p.settings["network"], ds, task)}
    record = {"metrics": result.metrics, "task": task.to_dict(), "genotype": g.to_dict(), "hash": g.hash,
              "data": ds.name, "num_classes": build["num_classes"], "input_size": list(build["input_size"]),
              "weights": folder.WEIGHTS, "build": build, "recipe": p.settings.get("recipe"),
              "from_run": p.settings.get("from_run"), "resumed_after_epochs": resumed_at,
              "history": last["state"]["history"] if last["state"] else []}
    folder.finish(p.out_dir, {k: v.detach().cpu() for k, v in p.net.state_dict().items()}, record)
    return TrainingOutcome(p.out_dir, result.metrics, record)


def train_folder(options: TrainingOptions, on_epoch=None, on_checkpoint=None) -> TrainingOutcome:
    """prepare_training + run_training: one call for a library caller."""
    return run_training(prepare_training(options), on_epoch, on_checkpoint)
