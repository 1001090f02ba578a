"""Language modelling, the second task kind: a recurrent cell from a genotype (DARTS's or ENAS's
space) or an LSTM / GRU baseline, trained as a tied-weight language model on a text corpus with
DARTS's recipe (`nasx.lm`), judged by validation bits per token (`val_bpc`, lower is better).

Networks take token ids N x T and return (logits N x T x vocab, hidden); the vocabulary is the
"classes" of the build record and the BPTT length its input size, so measuring, latency and export
make token-id example inputs (`input_spec`).
"""

from __future__ import annotations

import time
from dataclasses import fields

import torch

from ..errors import NasxError
from ..evaluate.inputs import network_space
from ..evaluate.outcome import Status, TrialOutcome
from ..evaluate.runners import register_runner
from ..evaluate.trial_spec import TrialSpec
from ..inputs import InputSpec
from ..lm import LMTask, train_lm
from ..metrics import Metric
from ..ops import OPS_VERSION
from ..premeasure import premeasure
from ..spaces import genotype_from_obj
from .base import TaskKind, register_task
from .image import save_weights


class LanguageModelling(TaskKind):
    def make_task(self, settings: dict) -> LMTask:
        return LMTask.from_dict(settings)

    def load_data(self, task: LMTask):
        from ..text import load_corpus

        return load_corpus(task.data, task.level, task.vocab_size, task.max_train)

    def input_spec(self, build: dict) -> InputSpec:
        size = build.get("input_size") or [35]
        return InputSpec((int(size[0]),), vocab=int(build.get("num_classes") or 2))

    def train_baseline(self, name: str, task: LMTask, network: dict) -> dict:
        """An LSTM / GRU baseline trained by this kind's runner, at the search's embedding and hidden
        sizes (so it is compared at the size of the networks searched)."""
        spec = TrialSpec.build(trial_id=f"baseline-{name}", runner=self.runner, genotype={"zoo": name},
                               task=task.to_dict(), meta={"zoo": name}, network=dict(network))
        out = train_lm_trial(spec)
        keys = (*self.quality_names(), "params", "macs", "latency_ms_b1")
        return {"status": out.status.value, "reason": out.reason, **{k: out.metrics.get(k) for k in keys},
                "device_seconds": out.device_seconds}

    def export_files(self, build: dict) -> dict[str, str]:
        """vocab.json: the tokens the model's ids stand for (what `nasx generate` decodes with); none when
        the trial's corpus cannot be read any more (the export still has model.py and the weights)."""
        from ..lm.generate import VOCAB_FILE, vocabulary_of_build

        try:
            return {VOCAB_FILE: vocabulary_of_build(build).to_json() + "\n"}
        except NasxError:
            return {}

    def baseline_names(self) -> list[str]:
        from ..lm_baselines import lm_baseline_names

        return list(lm_baseline_names())

    # ---- final training (`nasx train`)

    def train_recipes(self) -> dict:
        from ..lm.task import train_recipes

        return train_recipes()

    def train_defaults(self, run_task: dict) -> dict:
        """The run's tokenisation (so the vocabulary is the trials') and sizes, its `recipe` applied
        (else LMTask's defaults)."""
        known = {f.name for f in fields(LMTask)}
        t = LMTask.from_dict({k: v for k, v in run_task.items() if k in known})
        return {k: getattr(t, k) for k in ("level", "vocab_size", "bptt", "batch_size", "lr", "max_train")}

    def foreign_train_options(self) -> tuple[str, ...]:
        return ("cutout", "drop_path", "auxiliary", "channels", "cells", "skeleton")

    def training_network(self, space, genotype, corpus, task: LMTask):
        return space.build(genotype, num_classes=corpus.vocab_size)

    def train_network(self, net, corpus, task: LMTask, on_epoch=None, checkpoint=None, resume=None):
        """`train_lm`, plus what an image training reports besides: params, MACs, batch-1 latency and
        device-seconds (training time without checkpoint writes, summed over resumed sessions). The
        last epoch, which train_lm reports through its result only, reaches `on_epoch` after its checkpoint."""
        from ..evaluate.probes import latency_ms
        from ..measure import count_macs, count_params

        t0, before = time.perf_counter(), float(((resume or {}).get("metrics") or {}).get("device_seconds") or 0.0)
        paused = [0.0]

        def seconds() -> float:
            return before + time.perf_counter() - t0 - paused[0]

        def on_checkpoint(state: dict) -> None:
            state["metrics"]["device_seconds"] = seconds()
            t = time.perf_counter()
            if checkpoint is not None:
                checkpoint(state)
            paused[0] += time.perf_counter() - t
            if on_epoch is not None and state["epoch"] == task.epochs:
                on_epoch(state["epoch"], state["history"][-1])

        result = train_lm(net, corpus, task, on_epoch, checkpoint=on_checkpoint, resume=resume)
        spec = self.input_spec(build_record({}, corpus, task))
        result.metrics.update(device_seconds=seconds(), params=count_params(net))
        try:
            result.metrics["macs"] = count_macs(net, spec)
        except NasxError:
            result.metrics["macs"] = None
        if result.status == "ok" and task.latency:
            result.metrics["latency_ms_b1"] = latency_ms(net, spec, task.resolved_device(), 1)
        return result

    def training_build(self, network: dict, corpus, task: LMTask) -> dict:
        return build_record(network, corpus, task)

    def describe_data(self, corpus) -> str:
        return (f"{corpus.name} ({corpus.level} level, vocabulary {corpus.vocab_size}, "
                f"{len(corpus.train)} training tokens)")


LANGUAGE_MODELLING = register_task(LanguageModelling(
    name="language-modelling",
    metrics=(Metric("val_bpc", "min", "val bits/token"), Metric("test_bpc", "min", "test bits/token"),
             Metric("val_ppl", "min", "val perplexity"), Metric("test_ppl", "min", "test perplexity")),
    objective="val_bpc", held_out="test_bpc", runner="train_lm", baselines=("lstm_lm",),
    data_schemes=("shakespeare", "text"), default_data="shakespeare",
    input_contract="token ids N x T (int64) -> (next-token logits N x T x vocab, hidden state)",
    description="a recurrent language model (tied embedding / decoder), DARTS's recurrent recipe",
), origin=__name__)


# the run's network settings a baseline takes too: it is built at the searched networks' sizes
BASELINE_KEYS = (  # the first two are the sizes (embedding, hidden)
    "embedding", "hidden", "dropout", "dropouth", "dropoutx", "dropouti", "dropoute")


def build_record(network: dict, corpus, task: LMTask) -> dict:
    """The journal's build entry: the vocabulary is the network's `num_classes`, BPTT its input size."""
    return {"network": dict(network or {}), "num_classes": int(corpus.vocab_size), "input_size": [int(task.bptt)],
            "data": task.data, "level": task.level, "vocab_size": task.vocab_size, "ops_version": OPS_VERSION}


def _build(spec: TrialSpec, vocab: int):
    """(model, architecture key): an LSTM / GRU baseline when the spec's meta names one, else the
    spec's genotype in its (recurrent) space."""
    meta = spec.meta or {}
    zoo = meta.get("zoo")
    if zoo:
        from ..lm_baselines import create_lm_baseline, size_to_params

        sizes = {k: v for k, v in (spec.network or {}).items() if k in BASELINE_KEYS}
        if meta.get("size_to_params"):  # the final phase: as many parameters as the best found network
            s = size_to_params(zoo, vocab, int(meta["size_to_params"]))
            sizes.update({k: s for k in BASELINE_KEYS[:2]})
        return create_lm_baseline(zoo, vocab, **sizes), f"zoo:{zoo}"
    genotype = genotype_from_obj(spec.genotype)
    space = network_space(genotype.space, spec.network)
    return space.build(genotype, num_classes=vocab), f"{genotype.space}:{genotype.hash}"


@register_runner("train_lm")
def train_lm_trial(spec: TrialSpec, report=None) -> TrialOutcome:
    """Build the candidate, measure it (a candidate over a limit is never trained), train it under the
    spec's LMTask, keep its weights. A candidate that cannot be built or diverges is a failed outcome."""
    t0 = time.time()
    task = LMTask.from_dict(spec.task)
    corpus = LANGUAGE_MODELLING.load_data(task)
    torch.manual_seed(task.seed)
    build = build_record(spec.network, corpus, task)
    try:
        model, arch = _build(spec, corpus.vocab_size)
    except Exception as exc:  # noqa: BLE001 - a candidate that cannot be built is a failed candidate
        reason = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        return TrialOutcome.failed(reason, build=build, wall_seconds=time.time() - t0)
    with torch.random.fork_rng():  # measuring draws no number the training would have drawn
        pre, rejection = premeasure(model, LANGUAGE_MODELLING.input_spec(build), spec.measure, arch, spec.network)
    if rejection is not None:
        return TrialOutcome(Status.REJECTED if pre.get("rejected") else Status.FAILED, rejection,
                            {k: v for k, v in pre.items() if k != "rejected"}, build=build,
                            wall_seconds=time.time() - t0)
    result = train_lm(model, corpus, task, callback=report)
    if result.status == "ok" and task.latency:  # the engine's own batch-1 forward, as image trials report it
        from ..evaluate.probes import latency_ms

        result.metrics["latency_ms_b1"] = latency_ms(model, LANGUAGE_MODELLING.input_spec(build),
                                                     task.resolved_device(), 1)
    weights = None
    if spec.keep_weights and result.status == "ok" and spec.run_dir:
        weights = save_weights(model, spec)
    from ..measure import count_params

    metrics = {"params": count_params(model), **(result.metrics or {}), **pre}
    return TrialOutcome(result.status, result.reason, metrics, weights=weights, build=build,
                        wall_seconds=time.time() - t0)
