"""The `enas` trial runner: one trial that holds its devices for the whole ENAS search.

It resumes from `<run_dir>/enas/checkpoint.pt` (written atomically after every epoch), paces the
supernet epochs to the budget the driver says is left (from its own epoch times, keeping room for
derive + retrain), then derives the best child, retrains it from scratch and reports that child's
genotype and metrics as the trial's outcome. With `derive_top_k` > 0 it retrains nothing: it ranks
`derive_samples` children on the validation split under the shared weights and reports the top k
(`metrics["derived"]`, no objective metric, since a shared-weight score is not comparable with
trained ones); the strategy trains them as trials.

What it loads, searches with and retrains with comes from the space's task kind (`kinds.py`:
images, language models), looked up in a registry; the loop here is the same for every kind.
"""

from __future__ import annotations

import time
from pathlib import Path

import torch

from ..atomic import save_torch, write_json
from ..evaluate import TrialSpec, network_space
from ..evaluate.failures import describe
from ..evaluate.outcome import TrialOutcome
from ..evaluate.runners import register_runner
from ..genotype import canonical_json
from ..spaces import genotype_from_obj
from ..tasks import get_task_kind
from .kinds import enas_kind
from .options import EnasOptions
from .plots import enas_plot

CHECKPOINT = "checkpoint.pt"


def save_enas_checkpoint(path: Path, search, fingerprint: str, seconds: float) -> None:
    save_torch({**search.state_dict(), "fingerprint": fingerprint, "seconds": seconds}, path)


def load_enas_checkpoint(path: Path, search, fingerprint: str) -> float | None:
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


# options added after checkpoints existed, left out of the fingerprint at these values (what runs
# before them did), so those checkpoints still resume; derive_rank_images acts after the search only
LATER_OPTIONS = {"batch_size": 0, "reward_constant": 80.0, "weights_per_activation": False}
AFTER_SEARCH = ("derive_rank_images",)


def fingerprint_options(opts: EnasOptions) -> dict:
    return {k: v for k, v in opts.to_dict().items()
            if k not in AFTER_SEARCH and not (k in LATER_OPTIONS and v == LATER_OPTIONS[k])}


@register_runner("enas", trains_one_candidate=False)
def run_enas(spec: TrialSpec, report=None) -> TrialOutcome:
    """The runner the `enas` strategy names: the whole search as one trial. Its wall time counts the
    seconds spent before a resume too (from the checkpoint)."""
    t0 = time.time()
    opts = EnasOptions.from_dict(spec.meta.get("enas"))
    placeholder = genotype_from_obj(spec.genotype)
    space = network_space(placeholder.space, spec.network)
    kind = enas_kind(space)  # the task kind's data, search and retraining
    task = get_task_kind(space.task_kind).make_task(spec.task)
    data = kind.load(task)
    folder = Path(spec.run_dir) / "enas"
    folder.mkdir(parents=True, exist_ok=True)
    fingerprint = canonical_json({"space": placeholder.space, "network": spec.network or {},
                                  "task": task.to_dict(), "enas": fingerprint_options(opts)})

    def outcome(status, reason=None, metrics=None, genotype=None, weights=None):
        return TrialOutcome(status, reason, metrics or {}, wall_seconds=time.time() - t0 + before,
                            genotype=genotype, build=kind.build_record(spec, data, task), weights=weights)

    before = 0.0
    try:
        search = kind.search(space, data, task, opts)
        before = load_enas_checkpoint(folder / CHECKPOINT, search, fingerprint) or 0.0
        limit = seconds_left(spec)
        while search.epoch < opts.enas_epochs:
            elapsed = time.time() - t0
            if search.history:
                est = sum(r["seconds"] for r in search.history[-3:]) / len(search.history[-3:])
                if elapsed + est + search.reserve_seconds() > limit:
                    break
            elif limit <= 0:
                break
            row = search.train_epoch()
            save_enas_checkpoint(folder / CHECKPOINT, search, fingerprint, before + time.time() - t0)
            write_json(folder / "history.json", search.history)
            enas_plot(search.history, Path(spec.run_dir) / "plots" / "enas.png", warmup=opts.warmup_epochs,
                      labels=search.plot_labels)
            if report is not None:
                report(row["epoch"], search.epoch_metrics(row))
        derived = search.rank()
        rows = [{**r, "genotype": r["genotype"].to_dict()} for r in derived]
        write_json(folder / "derived.json", rows)
        best = derived[0]
        key = search.score_key
        extra = {key: best[key], "enas_epochs_done": search.epoch,
                 "search_seconds": before + time.time() - t0,
                 # SGD steps of the shared weights (history rows from before the count: this run's batches)
                 "supernet_steps": sum(int(r.get("steps", search.steps_per_epoch)) for r in search.history),
                 "supernet_batch": search.batch_size}
    except Exception as exc:  # noqa: BLE001 - the search failing is this trial's outcome
        return outcome("failed", describe(exc))
    genotype = best["genotype"]
    if opts.derive_top_k:
        top = [{"genotype": r["genotype"], key: r[key]} for r in rows[:opts.derive_top_k]]
        return outcome("ok", None, {**extra, "derived": top, "derived_ranked": len(rows), **search.rank_extras()},
                       genotype.to_dict())
    if not opts.retrain:
        return outcome("ok", None, {**search.shared_metrics(best), **extra}, genotype.to_dict())
    status, reason, metrics, weights = kind.retrain(spec, space, genotype, data, task)
    return outcome(status, reason, {**metrics, **extra}, genotype.to_dict(), weights)
