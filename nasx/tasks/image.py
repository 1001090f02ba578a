"""Image classification, the first task kind: a CNN from a genotype (or a zoo baseline) trained with
`nasx.evaluate.train_and_evaluate` on an image data set, judged by validation accuracy."""

from __future__ import annotations

import time
from pathlib import Path

import torch

from ..evaluate import cached_dataset, network_space, train_and_evaluate
from ..evaluate.outcome import Status, TrialOutcome
from ..evaluate.runners import register_runner
from ..evaluate.trial_spec import TrialSpec
from ..metrics import Metric
from ..premeasure import premeasure
from ..spaces import genotype_from_obj
from ..trial_build import build_record
from .base import TaskKind, register_task


class ImageClassification(TaskKind):
    def baseline_names(self) -> list[str]:
        from ..zoo import list_models

        return list(list_models())


IMAGE_CLASSIFICATION = register_task(ImageClassification(
    name="image-classification",
    metrics=(Metric("val_acc", "max", "val accuracy", fraction=True),
             Metric("test_acc", "max", "test accuracy", fraction=True)),
    objective="val_acc", held_out="test_acc", runner="train", baselines=("resnet20",),
    input_contract="a float image batch N x C x H x W -> class logits N x classes",
    description="a CNN classifier; the data's own classes, validation split from the training set",
), origin=__name__)


def _build(spec: TrialSpec, dataset):
    """(model, architecture key): a zoo baseline when the spec's meta names one (the final phase
    retrains baselines as ordinary trials), else the spec's genotype in its space."""
    zoo = (spec.meta or {}).get("zoo")
    if zoo:
        from ..zoo import create_model

        return create_model(zoo, num_classes=dataset.num_classes, input_size=dataset.input_shape), f"zoo:{zoo}"
    genotype = genotype_from_obj(spec.genotype)
    space = network_space(genotype.space, spec.network)
    model = space.build(genotype, num_classes=dataset.num_classes, input_size=dataset.input_shape)
    return model, f"{genotype.space}:{genotype.hash}"


def save_weights(model, spec: TrialSpec) -> str | None:
    """Keep the trained weights in the run directory (`trials/<id>/weights.pt`); None when the run
    directory is not on this node (a multi-node cluster without shared storage)."""
    from ..atomic import save_torch

    run_dir = Path(spec.run_dir)
    if not run_dir.is_dir():
        return None
    rel = Path("trials") / spec.trial_id / "weights.pt"
    (run_dir / rel).parent.mkdir(parents=True, exist_ok=True)
    save_torch({k: v.detach().cpu() for k, v in model.state_dict().items()}, run_dir / rel)
    return str(rel)


@register_runner("train")
def train_trial(spec: TrialSpec, report=None) -> TrialOutcome:
    """Build the candidate, measure it before training (a candidate over a limit is rejected, never
    trained), train it with the spec's task, keep its weights. A candidate that cannot be built or
    diverges is a failed outcome; only infrastructure errors raise."""
    t0 = time.time()
    task = spec.make_task()
    dataset = cached_dataset(task.data, task.val_fraction, task.max_train)
    torch.manual_seed(task.seed)
    build = build_record({} if (spec.meta or {}).get("zoo") else spec.network, dataset, task.data)
    try:
        model, arch = _build(spec, dataset)
    except Exception as exc:  # noqa: BLE001 - a candidate that cannot be built is a failed candidate
        reason = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        return TrialOutcome.failed(reason, build=build, wall_seconds=time.time() - t0)
    with torch.random.fork_rng():  # measuring draws no number the training would have drawn
        pre, rejection = premeasure(model, dataset.input_shape, spec.measure, arch, spec.network)
    if rejection is not None:  # over a limit or not measurable: never trained
        return TrialOutcome(Status.REJECTED if pre.get("rejected") else Status.FAILED, rejection,
                            {k: v for k, v in pre.items() if k != "rejected"}, build=build,
                            wall_seconds=time.time() - t0)
    result = train_and_evaluate(model, dataset, task, callback=report)
    weights = None
    if spec.keep_weights and result.status == "ok" and spec.run_dir:
        weights = save_weights(model, spec)
    return TrialOutcome(result.status, result.reason, {**(result.metrics or {}), **pre}, weights=weights,
                        build=build, wall_seconds=time.time() - t0)
