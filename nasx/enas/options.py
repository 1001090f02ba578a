"""ENAS options (the `strategy_options` of an `enas` search), validated with one-line errors.

Defaults: the dataclass's, overridden per space kind by `KIND_DEFAULTS`, the reference code's
search scripts (melodyguan/enas `scripts/cifar10_micro_search.sh` for cells spaces,
`cifar10_macro_search.sh` for the macro chain; `lstm_size=64` and `temperature=None` from
`main.py`; for recurrent cells google-research `enas_lm/src/controller.py`), then by the user's options.
`KIND_UNUSED` lists the options a space kind's search never reads: setting one is a one-line error.
docs/enas.md lists each setting against the reference.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

from ..errors import ConfigError


@dataclass
class EnasOptions:
    enas_epochs: int = 10  # supernet epochs (each: shared weights on train, then controller on val)
    controller_steps: int = 50  # controller updates per epoch, one sampled child and one val batch each
    derive_samples: int = 100  # architectures sampled at the end, ranked by shared-weight accuracy
    temperature: float = 5.0
    tanh_constant: float = 2.5  # 0 disables the tanh squashing of the logits
    op_tanh_reduce: float = 1.0  # op decisions' logits are bounded by tanh_constant / op_tanh_reduce
    entropy_weight: float = 1e-4
    skip_target: float = 0.4  # prior probability of a skip connection (spaces with skip decisions)
    skip_weight: float = 0.8  # weight of the KL(skip probability || skip_target) term; 0 disables it
    baseline_decay: float = 0.99
    lstm_hidden: int = 100
    controller_lr: float = 3.5e-3  # the reference code's micro search (the paper's text says 3.5e-4)
    controller_batch: int = 1  # children sampled and averaged per controller update
    warmup_epochs: int = 0  # first epochs: the controller is scored (reward, baseline) but not updated
    reference_controller: bool = True  # cells / macro: the reference's attention controller (else the generic LSTM)
    lr_t0: int = 0  # shared weights: cosine warm restarts, first period in epochs (0: one cosine over the search)
    lr_tmul: int = 2  # each restart period is lr_tmul x the previous one
    lr_min: float = 0.0  # the cosine's floor (the task's lr is its peak)
    batch_size: int = 0  # shared-weight training batch (0: the task's); on a small data set a smaller
    #   batch gives the supernet more steps per epoch at about the same cost (benchmarks/README.md)
    retrain: bool = True  # retrain the derived child from scratch with the ordinary evaluator (with
    #   derive_top_k: the best re-ranked child by proxy accuracy, at the task's epochs, as one more trial)
    derive_top_k: int = 0  # >0: rank derive_samples children on the whole val split under the shared
    #   weights, train the top k from scratch for derive_epochs, each its own trial; 0: trust the ranking
    derive_epochs: int = 2  # proxy epochs of each re-ranked child
    derive_rank_images: int = 0  # >0: derive_top_k ranks on a fixed, seeded subset of that many val
    #   images (all of them if the split is smaller); 0: on the whole val split
    reward_constant: float = 80.0  # recurrent cells: reward = reward_constant / shared-weight valid perplexity
    weights_per_activation: bool = False  # recurrent cells: one weight per (node, predecessor, activation),
    #   as enas_lm's code, instead of per (node, predecessor), as the paper describes

    @classmethod
    def from_dict(cls, d: dict | None, kind: str | None = None) -> EnasOptions:
        """Options from the user's dict over the defaults of the space `kind` (None: the dataclass's)."""
        unused = sorted(set(d or {}) & set(KIND_UNUSED.get(kind, ())))
        if unused:
            raise ConfigError(f"strategy enas: option(s) {', '.join(unused)} do not apply to {kind} spaces")
        d = {**KIND_DEFAULTS.get(kind, {}), **(d or {})}
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(set(d) - set(known))
        if unknown:
            raise ConfigError(f"strategy enas: unknown option(s) {', '.join(unknown)}; "
                              f"known: {', '.join(known)}")
        out = {}
        for key, value in d.items():
            kind = type(getattr(cls, key))
            ok = isinstance(value, bool) if kind is bool else (
                isinstance(value, (int, float)) and not isinstance(value, bool)
                and (kind is float or float(value).is_integer()))
            if not ok:
                raise ConfigError(f"strategy enas: {key}={value!r} is not a valid {kind.__name__}")
            out[key] = kind(value)
        opts = cls(**out)
        opts.check()
        return opts

    def check(self) -> None:
        rules = [
            (self.enas_epochs >= 0, "enas_epochs must be >= 0"),
            (self.controller_steps >= 0, "controller_steps must be >= 0"),
            (self.derive_samples >= 1, "derive_samples must be >= 1"),
            (self.temperature > 0, "temperature must be > 0"),
            (self.tanh_constant >= 0, "tanh_constant must be >= 0"),
            (self.op_tanh_reduce >= 1, "op_tanh_reduce must be >= 1"),
            (self.entropy_weight >= 0, "entropy_weight must be >= 0"),
            (0 < self.skip_target < 1, "skip_target must be in (0, 1)"),
            (self.skip_weight >= 0, "skip_weight must be >= 0"),
            (0 <= self.baseline_decay < 1, "baseline_decay must be in [0, 1)"),
            (1 <= self.lstm_hidden <= 4096, "lstm_hidden must be in [1, 4096]"),
            (self.controller_lr > 0, "controller_lr must be > 0"),
            (1 <= self.controller_batch <= 1024, "controller_batch must be in [1, 1024]"),
            (self.warmup_epochs >= 0, "warmup_epochs must be >= 0"),
            (0 <= self.derive_top_k <= self.derive_samples, "derive_top_k must be in [0, derive_samples]"),
            (self.derive_epochs >= 1, "derive_epochs must be >= 1"),
            (0 <= self.batch_size <= 65536, "batch_size must be in [0, 65536] (0: the task's batch size)"),
            (self.derive_rank_images >= 0, "derive_rank_images must be >= 0 (0: the whole validation split)"),
            (self.lr_t0 >= 0, "lr_t0 must be >= 0"),
            (self.lr_tmul >= 1, "lr_tmul must be >= 1"),
            (self.lr_min >= 0, "lr_min must be >= 0"),
            (self.reward_constant > 0, "reward_constant must be > 0"),
        ]
        for ok, message in rules:
            if not ok:
                raise ConfigError(f"strategy enas: {message}")

    def to_dict(self) -> dict:
        return asdict(self)


_REFERENCE = {"lstm_hidden": 64, "temperature": 1.0, "entropy_weight": 1e-4, "baseline_decay": 0.99,
              "lr_t0": 10, "lr_tmul": 2, "lr_min": 5e-4}
KIND_DEFAULTS: dict[str, dict] = {  # the reference's search scripts, per space kind
    "cells": {**_REFERENCE, "tanh_constant": 1.1, "op_tanh_reduce": 2.5, "controller_lr": 3.5e-3,
              "controller_batch": 10, "controller_steps": 30},
    "macro": {**_REFERENCE, "tanh_constant": 1.5, "op_tanh_reduce": 1.0, "controller_lr": 1e-3,
              "controller_batch": 20, "controller_steps": 50, "skip_target": 0.4, "skip_weight": 0.8},
    # enas_lm/src/controller.py flags and _set_default_params: lstm 64, temperature 5, tanh 2.25, Adam 5e-5,
    # baseline decay 0.999, entropy 1e-5, 10 children aggregated per update x 25 updates per epoch, reward 80 / ppl
    "rnn_cell": {"lstm_hidden": 64, "temperature": 5.0, "tanh_constant": 2.25, "op_tanh_reduce": 1.0,
                 "controller_lr": 5e-5, "baseline_decay": 0.999, "entropy_weight": 1e-5, "controller_batch": 10,
                 "controller_steps": 25, "reward_constant": 80.0},
}
_RECURRENT_ONLY = ("reward_constant", "weights_per_activation")
KIND_UNUSED: dict[str, tuple[str, ...]] = {  # options a space kind's search never reads
    "cells": _RECURRENT_ONLY, "nb201": _RECURRENT_ONLY, "macro": _RECURRENT_ONLY,
    # constant learning rate (enas_lm), no skip decisions, a token stream has no images
    "rnn_cell": ("lr_t0", "lr_tmul", "lr_min", "skip_target", "skip_weight", "derive_rank_images"),
}
