"""The ENAS loop: per epoch, shared weights on the train split (one sampled child per batch), then
REINFORCE on the controller with shared-weight validation accuracy as the reward; finally derive.

Everything an epoch needs to be reproduced (data order, controller draws) is re-seeded from
(seed, epoch), so `state_dict` after epoch k plus `load_state_dict` continues exactly as an
uninterrupted search would. The controller lives on the CPU: it is tiny and samples step by step.
"""

from __future__ import annotations

import math
import time

import torch
import torch.nn.functional as F
from torch import nn

from ..data import Batches, Dataset
from ..evaluate import Task
from ..evaluate.probes import autocast
from ..metrics import metric
from .controller import Reinforce, build_controller
from .options import EnasOptions
from .search_state import SearchState
from .supernet import build_supernet

REWARD_BATCH = 256  # images per reward evaluation (and in the fixed derive batch)


def _cosine_lr(base: float, epoch: int, step: int, steps: int, epochs: int, t0: int = 0, tmul: int = 2,
               floor: float = 0.0) -> float:
    """Cosine from `base` to `floor`: once over `epochs` (t0 = 0), or with warm restarts after t0,
    t0 * tmul, ... epochs (SGDR; the reference's child schedule: T0 10, Tmul 2, 0.05 -> 0.0005)."""
    t = epoch + step / max(1, steps)
    if t0:
        period = float(t0)
        while t >= period:
            t -= period
            period *= tmul
        frac = t / period
    else:
        frac = min(1.0, t / max(1, epochs))
    return floor + (base - floor) * 0.5 * (1.0 + math.cos(math.pi * frac))


class EnasSearch(SearchState):
    """Supernet + controller + their optimisers + per-epoch history of one ENAS search (images; the
    search protocol the runner drives is in kinds.py)."""

    score_key = "shared_val_acc"  # a derived child's shared-weight score: the image kind's objective
    plot_labels = ("mean reward (val acc)", "shared-weight accuracy")

    def __init__(self, space, dataset: Dataset, task: Task, opts: EnasOptions, device=None):
        self.space, self.dataset, self.task, self.opts = space, dataset, task, opts
        self.device = torch.device(device) if device is not None else task.resolved_device()
        self.amp = task.amp and self.device.type == "cuda"
        torch.manual_seed(task.seed)
        self.supernet = build_supernet(space, dataset.num_classes, dataset.input_shape).to(self.device)
        self.controller = build_controller(space, opts)
        self.w_opt = torch.optim.SGD(self.supernet.parameters(), lr=task.lr, momentum=task.momentum,
                                     nesterov=task.nesterov and task.momentum > 0, weight_decay=task.weight_decay)
        self.reinforce = Reinforce(self.controller, opts.controller_lr, opts.entropy_weight,
                                   opts.baseline_decay, opts.controller_batch, opts.skip_weight)
        self.train_batches = dataset.batches("train", opts.batch_size or task.batch_size, train=True, seed=task.seed,
                                             device=self.device)
        bs = min(REWARD_BATCH, len(dataset.y_val))
        self.val_batches = Batches(dataset.x_val, dataset.y_val, bs, shuffle=True, seed=task.seed,
                                   device=self.device, drop_last=True)
        self.generator = torch.Generator()
        self.epoch = 0
        self.history: list[dict] = []

    # ---- one epoch
    def _reseed(self, phase: int) -> None:
        s = (self.task.seed * 1_000_003 + self.epoch * 101 + phase) % (2 ** 62)
        self.train_batches.generator.manual_seed(s)
        self.val_batches.generator.manual_seed(s + 1)
        self.generator.manual_seed(s + 2)

    def train_epoch(self) -> dict:
        """One epoch of shared-weight training, then `controller_steps` controller updates."""
        self._reseed(0)
        t0 = time.perf_counter()
        train_loss, train_acc = self._train_shared()
        t1 = time.perf_counter()
        ctl = self._train_controller()
        t2 = time.perf_counter()
        self.epoch += 1
        row = {"epoch": self.epoch, "steps": len(self.train_batches), "batch_size": self.train_batches.batch_size,
               "train_loss": train_loss, "train_acc": train_acc, **ctl,
               "baseline": self.baseline, "shared_seconds": t1 - t0, "controller_seconds": t2 - t1,
               "seconds": t2 - t0}
        self.history.append(row)
        return row

    def _train_shared(self) -> tuple[float, float]:
        net, task = self.supernet, self.task
        net.train()
        steps = len(self.train_batches)
        loss_sum = torch.zeros((), device=self.device)
        correct = torch.zeros((), device=self.device)
        seen = 0
        for step, (xb, yb) in enumerate(self.train_batches):
            for group in self.w_opt.param_groups:
                group["lr"] = _cosine_lr(task.lr, self.epoch, step, steps, max(1, self.opts.enas_epochs),
                                         self.opts.lr_t0, self.opts.lr_tmul, min(self.opts.lr_min, task.lr))
            with torch.no_grad():
                genotype = self.controller.sample(self.generator).genotype
            with autocast(self.device, self.amp):
                out = net(xb, genotype)
                loss = F.cross_entropy(out, yb, label_smoothing=task.label_smoothing)
            self.w_opt.zero_grad(set_to_none=True)
            loss.backward()
            if task.grad_clip:
                nn.utils.clip_grad_norm_(net.parameters(), task.grad_clip)
            self.w_opt.step()
            loss_sum += loss.detach().float() * len(yb)
            correct += (out.detach().argmax(1) == yb).sum()
            seen += len(yb)
        train_loss = float(loss_sum) / max(1, seen)
        if not math.isfinite(train_loss):
            raise FloatingPointError(f"ENAS shared weights diverged (train loss {train_loss}) in epoch {self.epoch + 1}")
        return train_loss, float(correct) / max(1, seen)

    @torch.no_grad()
    def accuracy(self, genotype, xb, yb) -> tuple[float, float]:
        """(accuracy, cross-entropy) of a child under the shared weights (batch-statistics BN)."""
        self.supernet.train()  # running BN statistics are a mix over children; batch statistics are not
        with autocast(self.device, self.amp):
            out = self.supernet(xb, genotype).float()
        return float((out.argmax(1) == yb).float().mean()), float(F.cross_entropy(out, yb))

    def _train_controller(self) -> dict:
        rows, val_losses = [], []
        batches = iter(())
        for _ in range(self.opts.controller_steps):
            batch = next(batches, None)
            if batch is None:
                batches = iter(self.val_batches)
                batch = next(batches)

            def reward(genotype, batch=batch):
                acc, loss = self.accuracy(genotype, *batch)
                val_losses.append(loss)
                return acc
            rows.append(self.reinforce.step(reward, self.generator, update=self.epoch >= self.opts.warmup_epochs))

        def mean(key, v=None):
            v = v if v is not None else [r[key] for r in rows]
            return sum(v) / len(v) if v else None
        return {"reward": mean("reward"), "entropy": mean("entropy"), "controller_loss": mean("loss"),
                "val_loss": mean("", val_losses)}

    # ---- what the runner reads (kinds.py)
    @property
    def batch_size(self) -> int:
        return self.train_batches.batch_size

    @property
    def steps_per_epoch(self) -> int:
        return len(self.train_batches)

    def epoch_metrics(self, row: dict) -> dict:
        """What an epoch reports to the driver: the mean reward is a shared-weight val accuracy."""
        return {"val_acc": row["reward"], "val_loss": row["val_loss"], "train_loss": row["train_loss"],
                "reward": row["reward"], "entropy": row["entropy"]}

    def shared_metrics(self, row: dict) -> dict:
        """A derived child's shared-weight score as the kind's metric."""
        return {"val_acc": row["shared_val_acc"]}

    def rank(self) -> list[dict]:
        """The derived children, best first: `derive` or, with derive_top_k, `rank_on_val`."""
        o = self.opts
        return self.rank_on_val(o.derive_samples, o.derive_rank_images) if o.derive_top_k else self.derive(
            o.derive_samples)

    def rank_extras(self) -> dict:
        """What the ranking ran on: the validation images (`derived_rank_images`)."""
        keep = self.rank_subset(self.opts.derive_rank_images)
        return {"derived_rank_images": len(self.dataset.y_val) if keep is None else len(keep)}

    def reserve_seconds(self) -> float:
        """Seconds to keep for derive + retrain, estimated from the epochs run so far."""
        h, opts, task = self.history[-3:], self.opts, self.task
        if not h:
            return 0.0
        shared = sum(r["shared_seconds"] for r in h) / len(h)  # a child trains about as fast as one path
        per_sample = (sum(r["controller_seconds"] for r in h) / len(h)
                      / max(1, opts.controller_steps * opts.controller_batch))
        if opts.derive_top_k:  # ranking (~ ranked images/reward batch x a reward each), then k proxy trainings
            n_val = len(self.dataset.y_val)
            ranked = min(n_val, opts.derive_rank_images) if opts.derive_rank_images else n_val
            ratio = max(1.0, ranked / REWARD_BATCH)
            return opts.derive_samples * per_sample * ratio + opts.derive_top_k * opts.derive_epochs * shared
        return opts.derive_samples * per_sample + (task.epochs * shared if opts.retrain else 0.0)

    # ---- derive
    @torch.no_grad()
    def derive(self, samples: int, top: int = 5) -> list[dict]:
        """Sample `samples` children, rank them on one fixed val batch, re-rank the best `top` on the
        whole validation split; returns dicts (genotype, shared-weight accuracies), best first."""
        self.generator.manual_seed(self.task.seed * 7919 + 17)
        self.controller.eval()
        seen: dict[str, dict] = {}
        n = min(REWARD_BATCH, len(self.dataset.y_val))
        xb = self.dataset.x_val[:n].to(self.device)
        yb = self.dataset.y_val[:n].to(self.device)
        for _ in range(samples):
            s = self.controller.sample(self.generator)
            if s.genotype.hash not in seen:
                acc, _ = self.accuracy(s.genotype, xb, yb)
                seen[s.genotype.hash] = {"genotype": s.genotype, "batch_acc": acc, "log_prob": float(s.log_prob)}
        acc = metric("val_acc")  # its direction (max) orders the children
        ranked = sorted(seen.values(), key=lambda r: acc.best_first(r["batch_acc"]))[:top]
        for r in ranked:
            r["shared_val_acc"] = self.val_accuracy(r["genotype"])
        return sorted(ranked, key=lambda r: acc.best_first(r["shared_val_acc"]))

    @torch.no_grad()
    def rank_on_val(self, samples: int, images: int = 0) -> list[dict]:
        """Sample `samples` children and rank every distinct one by shared-weight accuracy on the
        validation split (the re-ranking derive: no one-batch pre-filter); best first. `images` > 0:
        on the fixed subset `rank_subset(images)` of the split instead of all of it."""
        self.generator.manual_seed(self.task.seed * 7919 + 17)
        self.controller.eval()
        seen: dict[str, dict] = {}
        for _ in range(samples):
            s = self.controller.sample(self.generator)
            if s.genotype.hash not in seen:
                seen[s.genotype.hash] = {"genotype": s.genotype, "log_prob": float(s.log_prob),
                                         "shared_val_acc": self.val_accuracy(s.genotype, images)}
        return sorted(seen.values(), key=lambda r: metric("val_acc").best_first(r["shared_val_acc"]))

    def rank_subset(self, images: int) -> torch.Tensor | None:
        """Indices of the validation images a ranking on `images` images uses: a random subset drawn
        from the task's seed alone, the same for every child and every call (None: the whole split,
        for 0 or `images` >= the split's size)."""
        n = len(self.dataset.y_val)
        if images <= 0 or images >= n:
            return None
        g = torch.Generator().manual_seed(self.task.seed * 4_000_037 + 29)
        return torch.randperm(n, generator=g)[:images].sort().values

    @torch.no_grad()
    def val_accuracy(self, genotype, images: int = 0) -> float:
        """A child's accuracy under the shared weights on the whole validation split, or on the fixed
        subset of `images` of its images (`rank_subset`)."""
        x, y = self.dataset.x_val, self.dataset.y_val
        keep = self.rank_subset(images)
        if keep is not None:
            x, y = x[keep], y[keep]
        full = Batches(x, y, 512, shuffle=False, device=self.device)
        correct = sum(self.accuracy(genotype, xb, yb)[0] * len(yb) for xb, yb in full)
        return correct / max(1, len(full.y))
