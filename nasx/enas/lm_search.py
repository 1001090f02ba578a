"""The ENAS loop for recurrent cells (google-research `enas_lm/src/search.py`): per epoch, the shared
weights train on the train stream with truncated BPTT, a fresh child sampled for every minibatch,
the hidden state carried across minibatches; then REINFORCE on the controller, each sampled child
scored on its own validation minibatch from a zero state with reward `reward_constant / perplexity`
(enas_lm: 80 / ppl); finally derive. The shared weights train under the run's `LMTask` (SGD at
`lr` scaled by length / bptt, `grad_clip`, `weight_decay`, DARTS's random BPTT lengths), at the
option `batch_size` streams (0: the task's).

As the image search (`trainer.py`) every epoch is re-seeded from (seed, epoch), so a checkpoint
after epoch k resumes exactly; derived children are ranked by the task kind's objective metric
(`val_bpc`, lower is better), read from the registry with its direction.
"""

from __future__ import annotations

import math
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..lm.trainer import LN2, chunk_lengths, detach, evaluate_lm
from ..tasks import get_task_kind
from ..text import batchify, get_batch
from .controller import Reinforce, build_controller
from .kinds import enas_kind, shared_key
from .search_state import SearchState

DERIVE_TOP = 5  # children of the fixed-batch ranking scored again on the whole validation split


def _scores(nats: float, prefix: str) -> dict:
    return {f"{prefix}_loss": nats, f"{prefix}_bpc": nats / LN2, f"{prefix}_ppl": math.exp(min(nats, 700.0))}


class RecurrentEnasSearch(SearchState):
    """Recurrent supernet + controller + their optimisers + per-epoch history of one ENAS search."""

    plot_labels = ("mean reward (c / val ppl)", "reward (c / shared-weight val perplexity)")

    def __init__(self, space, corpus, task, opts, device=None):
        self.space, self.corpus, self.task, self.opts = space, corpus, task, opts
        self.device = torch.device(device) if device is not None else task.resolved_device()
        self.objective = get_task_kind(space.task_kind).objective_metric  # val_bpc: lower is better
        self.score_key = shared_key(space)  # shared_val_bpc
        torch.manual_seed(task.seed)
        cls = enas_kind(space).supernets[space.kind]
        self.supernet = cls(space, corpus.vocab_size, per_activation=opts.weights_per_activation).to(self.device)
        self.controller = build_controller(space, opts)
        self.w_opt = torch.optim.SGD(self.supernet.parameters(), lr=task.lr, weight_decay=task.weight_decay)
        self.reinforce = Reinforce(self.controller, opts.controller_lr, opts.entropy_weight, opts.baseline_decay,
                                   opts.controller_batch, 0.0)
        self.batch_size = opts.batch_size or task.batch_size
        self.train_data = batchify(corpus.train, self.batch_size, self.device)
        self.valid_data = batchify(corpus.valid, self.batch_size, self.device)  # enas_lm: valid at the same batch
        self.windows = list(range(0, self.valid_data.size(1) - 1, task.bptt))  # validation minibatch starts
        self.generator = torch.Generator()
        self.rng = np.random.default_rng(task.seed)
        self.epoch = 0
        self.history: list[dict] = []

    @property
    def steps_per_epoch(self) -> int:
        return max(1, (self.train_data.size(1) - 1) // self.task.bptt)

    # ---- one epoch
    def _reseed(self) -> None:
        s = (self.task.seed * 1_000_003 + self.epoch * 101) % (2 ** 62)
        self.generator.manual_seed(s + 2)
        self.rng = np.random.default_rng(s)  # BPTT lengths
        torch.manual_seed(s + 3)  # the dropout masks

    def train_epoch(self) -> dict:
        """One pass of shared-weight training over the train stream, then `controller_steps` updates."""
        self._reseed()
        t0 = time.perf_counter()
        train_loss, steps = self._train_shared()
        t1 = time.perf_counter()
        ctl = self._train_controller()
        t2 = time.perf_counter()
        self.epoch += 1
        row = {"epoch": self.epoch, "steps": steps, "batch_size": self.batch_size, "train_loss": train_loss,
               "train_ppl": math.exp(min(train_loss, 700.0)), **ctl, "baseline": self.baseline,
               "shared_seconds": t1 - t0, "controller_seconds": t2 - t1, "seconds": t2 - t0}
        self.history.append(row)
        return row

    def _train_shared(self) -> tuple[float, int]:
        net, task = self.supernet, self.task
        net.train()
        hidden = net.init_hidden(self.batch_size)
        total, count, steps = 0.0, 0, 0
        for i, seq_len in chunk_lengths(self.train_data.size(1), task.bptt, self.rng):
            for group in self.w_opt.param_groups:
                group["lr"] = task.lr * seq_len / task.bptt
            with torch.no_grad():
                genotype = self.controller.sample(self.generator).genotype
            x, y = get_batch(self.train_data, i, seq_len)
            logits, hidden = net(x, detach(hidden), genotype)
            loss = F.cross_entropy(logits.reshape(-1, logits.size(-1)), y.reshape(-1))
            if not torch.isfinite(loss):
                raise FloatingPointError(f"ENAS shared weights diverged (train loss {float(loss)}) "
                                         f"in epoch {self.epoch + 1}")
            self.w_opt.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(net.parameters(), task.grad_clip)
            self.w_opt.step()
            total += float(loss.detach()) * y.numel()
            count += y.numel()
            steps += 1
        return total / max(1, count), steps

    @torch.no_grad()
    def batch_nats(self, genotype, start: int) -> float:
        """Nats per token of a child on the validation minibatch at `start`, from a zero state."""
        self.supernet.eval()
        x, y = get_batch(self.valid_data, start, self.task.bptt)
        logits, _ = self.supernet(x, None, genotype)
        return float(F.cross_entropy(logits.reshape(-1, logits.size(-1)), y.reshape(-1)))

    def _train_controller(self) -> dict:
        opts = self.opts
        losses: list[float] = []
        pos = self.epoch * opts.controller_steps * opts.controller_batch  # cycles the validation minibatches

        def reward(genotype) -> float:
            nonlocal pos
            nats = self.batch_nats(genotype, self.windows[pos % len(self.windows)])
            pos += 1
            losses.append(nats)
            return opts.reward_constant / math.exp(min(nats, 700.0))

        update = self.epoch >= opts.warmup_epochs
        rows = [self.reinforce.step(reward, self.generator, update=update) for _ in range(opts.controller_steps)]

        def mean(v):
            return sum(v) / len(v) if v else None
        nats = mean(losses)
        out = {"reward": mean([r["reward"] for r in rows]), "entropy": mean([r["entropy"] for r in rows]),
               "controller_loss": mean([r["loss"] for r in rows])}
        return {**out, **(_scores(nats, "val") if nats is not None else {"val_loss": None})}

    # ---- what the runner reads (kinds.py)
    def epoch_metrics(self, row: dict) -> dict:
        keys = ("val_bpc", "val_ppl", "val_loss", "train_loss", "reward", "entropy")
        return {k: row[k] for k in keys if row.get(k) is not None}

    def shared_metrics(self, row: dict) -> dict:
        return {k.removeprefix("shared_"): row[k] for k in ("shared_val_bpc", "shared_val_ppl", "shared_val_loss")}

    def rank(self) -> list[dict]:
        """The derived children, best first: `derive` or, with derive_top_k, `rank_on_val`."""
        o = self.opts
        return self.rank_on_val(o.derive_samples) if o.derive_top_k else self.derive(o.derive_samples)

    def rank_extras(self) -> dict:
        return {"derived_rank_tokens": int(self.valid_data.numel())}

    def reserve_seconds(self) -> float:
        """Seconds to keep for derive + retrain, estimated from the epochs run so far."""
        h, opts = self.history[-3:], self.opts
        if not h:
            return 0.0
        shared = sum(r["shared_seconds"] for r in h) / len(h)
        per_sample = (sum(r["controller_seconds"] for r in h) / len(h)
                      / max(1, opts.controller_steps * opts.controller_batch))  # one sample + one val batch
        whole = per_sample * len(self.windows)  # one child on the whole validation split
        if opts.derive_top_k:
            return opts.derive_samples * whole + opts.derive_top_k * opts.derive_epochs * shared
        retrain = self.task.epochs * shared if opts.retrain else 0.0
        return opts.derive_samples * per_sample + DERIVE_TOP * whole + retrain

    # ---- derive
    def _children(self, samples: int):
        """The distinct children among `samples` draws of the trained controller (seeded: repeatable)."""
        self.generator.manual_seed(self.task.seed * 7919 + 17)
        self.controller.eval()
        seen: dict[str, object] = {}
        with torch.no_grad():
            for _ in range(samples):
                s = self.controller.sample(self.generator)
                seen.setdefault(s.genotype.hash, s)
        return list(seen.values())

    def derive(self, samples: int, top: int = DERIVE_TOP) -> list[dict]:
        """Sample `samples` children, rank them on one fixed validation minibatch (the first), score
        the best `top` on the whole validation split; returns dicts best first."""
        rows = [{"genotype": s.genotype, "log_prob": float(s.log_prob),
                 "batch_bpc": self.batch_nats(s.genotype, 0) / LN2} for s in self._children(samples)]
        ranked = sorted(rows, key=lambda r: self.objective.best_first(r["batch_bpc"]))[:top]
        for r in ranked:
            r.update(self.val_scores(r["genotype"]))
        return sorted(ranked, key=lambda r: self.objective.best_first(r[self.score_key]))

    def rank_on_val(self, samples: int) -> list[dict]:
        """Every distinct child of `samples` draws scored on the whole validation split; best first."""
        rows = [{"genotype": s.genotype, "log_prob": float(s.log_prob), **self.val_scores(s.genotype)}
                for s in self._children(samples)]
        return sorted(rows, key=lambda r: self.objective.best_first(r[self.score_key]))

    @torch.no_grad()
    def val_scores(self, genotype) -> dict:
        """A child's shared-weight loss, bits per token and perplexity on the whole validation split
        (every stream carried from a zero state, as the standalone evaluation does)."""
        self.supernet.set_arch(genotype)
        return _scores(evaluate_lm(self.supernet, self.valid_data, self.task.bptt), "shared_val")
