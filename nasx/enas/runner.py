"""The `enas` trial runner: one trial that holds its devices for the whole ENAS search.

It resumes from `<run_dir>/enas/checkpoint.pt` (written atomically after every epoch), paces the
supernet epochs to the budget the driver says is left (from its own epoch times, keeping room for
derive + retrain), then derives the best child, retrains it from scratch with the ordinary
evaluator and reports that child's genotype and metrics as the trial's outcome. With
`derive_top_k` > 0 it retrains nothing: it ranks `derive_samples` children on the whole validation
split under the shared weights and reports the top k (`metrics["derived"]`, no `val_acc`, since a
shared-weight accuracy is not comparable with trained ones); the strategy trains them as trials.
"""

from __future__ import annotations

import time
from pathlib import Path

import torch

from ..atomic import save_torch, write_json
from ..evaluate import Task, TrialSpec, cached_dataset, network_space, train_and_evaluate
from ..evaluate.failures import describe
from ..evaluate.outcome import TrialOutcome
from ..evaluate.runners import register_runner
from ..genotype import canonical_json
from ..spaces import genotype_from_obj
from ..trial_build import build_record
from .options import EnasOptions
from .plots import enas_plot
from .trainer import REWARD_BATCH, EnasSearch

CHECKPOINT = "checkpoint.pt"


def save_enas_checkpoint(path: Path, search: EnasSearch, fingerprint: str, seconds: float) -> None:
    save_torch({**search.state_dict(), "fingerprint": fingerprint, "seconds": seconds}, path)


def load_enas_checkpoint(path: Path, search: EnasSearch, fingerprint: str) -> float | None:
    """Restore `search` from `path` if it belongs to this search; returns its seconds spent so far."""
    if not path.is_file():
        return None
    state = torch.load(path, map_location="cpu", weights_only=True)
    if state.get("fingerprint") != fingerprint:
        return None
    search.load_state_dict(state)
    return float(state.get("seconds", 0.0))


def seconds_left(spec: TrialSpec) -> float:
    """Wall seconds this trial may still run under the driver's remaining budget (inf: unlimited)."""
    left = spec.budget_left or {}
    cpus, gpus = float(spec.cpus), float(spec.gpus)
    limits = [float("inf")]
    if left.get("wall_seconds") is not None:
        limits.append(left["wall_seconds"])
    if left.get("cpu_seconds") is not None and cpus > 0:
        limits.append(left["cpu_seconds"] / cpus)
    if left.get("gpu_seconds") is not None and gpus > 0:
        limits.append(left["gpu_seconds"] / gpus)
    return min(limits)


def _reserve(search: EnasSearch, opts: EnasOptions, task: Task) -> float:
    """Seconds to keep for derive + retrain, estimated from the epochs run so far."""
    h = search.history[-3:]
    if not h:
        return 0.0
    shared = sum(r["shared_seconds"] for r in h) / len(h)  # a child trains about as fast as one path
    per_sample = sum(r["controller_seconds"] for r in h) / len(h) / max(1, opts.controller_steps * opts.controller_batch)
    if opts.derive_top_k:  # ranking (~ ranked images/reward batch x a reward each), then k proxy trainings
        n_val = len(search.dataset.y_val)
        ranked = min(n_val, opts.derive_rank_images) if opts.derive_rank_images else n_val
        ratio = max(1.0, ranked / REWARD_BATCH)
        return opts.derive_samples * per_sample * ratio + opts.derive_top_k * opts.derive_epochs * shared
    return opts.derive_samples * per_sample + (task.epochs * shared if opts.retrain else 0.0)


@register_runner("enas", trains_one_candidate=False)
def run_enas(spec: TrialSpec, report=None) -> TrialOutcome:
    """The runner the `enas` strategy names: the whole search as one trial. Its wall time counts the
    seconds spent before a resume too (from the checkpoint)."""
    t0 = time.time()
    task = spec.make_task()
    opts = EnasOptions.from_dict(spec.meta.get("enas"))
    placeholder = genotype_from_obj(spec.genotype)
    space = network_space(placeholder.space, spec.network)
    dataset = cached_dataset(task.data, task.val_fraction, task.max_train)
    folder = Path(spec.run_dir) / "enas"
    folder.mkdir(parents=True, exist_ok=True)
    # derive_rank_images acts after the search only, batch_size 0 is what runs before it had the option:
    # both left out, so checkpoints of earlier runs still resume
    searched = {k: v for k, v in opts.to_dict().items()
                if k != "derive_rank_images" and not (k == "batch_size" and v == 0)}
    fingerprint = canonical_json({"space": placeholder.space, "network": spec.network or {},
                                  "task": task.to_dict(), "enas": searched})

    def outcome(status, reason=None, metrics=None, genotype=None):
        return TrialOutcome(status, reason, metrics or {}, wall_seconds=time.time() - t0 + before,
                            genotype=genotype, build=build_record(spec.network, dataset, task.data))

    before = 0.0
    try:
        search = EnasSearch(space, dataset, task, opts)
        before = load_enas_checkpoint(folder / CHECKPOINT, search, fingerprint) or 0.0
        limit = seconds_left(spec)
        while search.epoch < opts.enas_epochs:
            elapsed = time.time() - t0
            if search.history:
                est = sum(r["seconds"] for r in search.history[-3:]) / len(search.history[-3:])
                if elapsed + est + _reserve(search, opts, task) > limit:
                    break
            elif limit <= 0:
                break
            row = search.train_epoch()
            save_enas_checkpoint(folder / CHECKPOINT, search, fingerprint, before + time.time() - t0)
            write_json(folder / "history.json", search.history)
            enas_plot(search.history, Path(spec.run_dir) / "plots" / "enas.png", warmup=opts.warmup_epochs)
            if report is not None:
                report(row["epoch"], {"val_acc": row["reward"], "val_loss": row["val_loss"],
                                      "train_loss": row["train_loss"], "reward": row["reward"],
                                      "entropy": row["entropy"]})
        if opts.derive_top_k:
            derived = search.rank_on_val(opts.derive_samples, opts.derive_rank_images)
        else:
            derived = search.derive(opts.derive_samples)
        rows = [{**r, "genotype": r["genotype"].to_dict()} for r in derived]
        write_json(folder / "derived.json", rows)
        best = derived[0]
        extra = {"shared_val_acc": best["shared_val_acc"], "enas_epochs_done": search.epoch,
                 "search_seconds": before + time.time() - t0,
                 # SGD steps of the shared weights (history rows from before the count: this run's batches)
                 "supernet_steps": sum(int(r.get("steps", len(search.train_batches))) for r in search.history),
                 "supernet_batch": search.train_batches.batch_size}
    except Exception as exc:  # noqa: BLE001 - the search failing is this trial's outcome
        return outcome("failed", describe(exc))
    genotype = best["genotype"]
    if opts.derive_top_k:
        top = [{"genotype": r["genotype"], "shared_val_acc": r["shared_val_acc"]} for r in rows[:opts.derive_top_k]]
        keep = search.rank_subset(opts.derive_rank_images)
        ranked_on = len(dataset.y_val) if keep is None else len(keep)
        return outcome("ok", None, {**extra, "derived": top, "derived_ranked": len(rows),
                                    "derived_rank_images": ranked_on}, genotype.to_dict())
    if not opts.retrain:
        return outcome("ok", None, {"val_acc": best["shared_val_acc"], **extra}, genotype.to_dict())
    torch.manual_seed(task.seed)
    model = space.build(genotype, num_classes=dataset.num_classes, input_size=dataset.input_shape)
    result = train_and_evaluate(model, dataset, task)
    return outcome(result.status, result.reason, {**result.metrics, **extra}, genotype.to_dict())
