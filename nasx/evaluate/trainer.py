"""`train_and_evaluate`: SGD-Nesterov + cosine training of one network, with failures as data.

Lean on purpose: data already sits on the device (nasx.data.Batches), per-step losses go into a
device tensor and are only read back every CHECK_EVERY steps and at epoch end (the sole host syncs
besides validation), so the loop runs at a bare PyTorch loop's speed (benchmarks/trainer_overhead.py).

The network contract of final training (DARTS/ENAS-style cell networks):
- drop-path: a network with a float attribute `drop_path_prob` gets `task.drop_path * (epoch - 1) /
  epochs` at the start of every epoch (DARTS's `drop_path_prob * epoch / epochs`, 0-based epoch);
  task.drop_path > 0 on a network without the attribute is a ConfigError before training.
- auxiliary head: a network may return (logits, aux_logits) in training mode; the loss is then
  CE(logits) + task.auxiliary_weight * CE(aux_logits) (logits only when the weight is 0).
  Evaluation runs in eval mode, where such a network returns plain logits.

Checkpoints: `checkpoint(state)` is called after every epoch with everything needed to continue
(model, optimizer, scheduler, RNG states of torch / CUDA / the batch generator, counters, metrics,
per-epoch history; tensors and plain values only, so `torch.load(weights_only=True)` reads it);
`resume=state` continues from it. On CPU the continued run equals an uninterrupted one bit for bit
(tests/test_final_training.py); on CUDA, nondeterministic kernels (atomics in conv backward,
index_put) make any two runs differ, resumed or not, unless deterministic algorithms are forced.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from ..data import Dataset
from ..errors import ConfigError
from ..measure import count_macs, count_params
from .candidates import build_model
from .failures import Diverged, describe, release_memory
from .probes import MemoryMeter, autocast, latency_ms, sync
from .result import Result, StopTrial, empty_metrics
from .schedule import make_scheduler
from .task import Task

CHECK_EVERY = 50  # steps between finiteness checks of the loss (each one is a host sync)
EVAL_BATCH = 512


class _Run:
    """State of one evaluation: model, optimizer, batches, clocks and metrics."""

    def __init__(self, net: nn.Module, dataset: Dataset, task: Task, device: torch.device):
        self.dataset, self.task, self.device = dataset, task, device
        cuda = device.type == "cuda"
        self.amp, self.channels_last = task.amp and cuda, task.channels_last and cuda
        self.net = net.to(device, memory_format=torch.channels_last) if self.channels_last else net.to(device)
        self.model = torch.compile(self.net) if task.compile else self.net
        self.train_batches = dataset.batches("train", task.batch_size, train=True, seed=task.seed, device=device,
                                             cutout=task.cutout)
        eval_bs = max(task.batch_size, EVAL_BATCH)
        self.val_batches = dataset.batches("val", eval_bs, device=device)
        self.optimizer = torch.optim.SGD(self.net.parameters(), lr=task.lr, momentum=task.momentum,
                                         nesterov=task.nesterov and task.momentum > 0,
                                         weight_decay=task.weight_decay)
        steps = len(self.train_batches)
        self.scheduler = make_scheduler(self.optimizer, task.schedule, steps * task.epochs,
                                        round(task.warmup * steps), steps, task.lr_gamma)
        self.params = [p for p in self.net.parameters() if p.requires_grad]
        self.train_seconds = self.device_seconds = 0.0
        self.images = 0
        self.history: list[dict] = []

    def set_drop_path(self, epoch: int) -> float | None:
        """Linear drop-path schedule from 0 (the probability epoch `epoch` runs with), or None."""
        if self.task.drop_path <= 0:
            return None
        prob = self.task.drop_path * (epoch - 1) / self.task.epochs
        self.net.drop_path_prob = prob
        return prob

    def state(self, epoch: int, metrics: dict) -> dict:
        """Everything needed to continue after `epoch` (tensors and plain values only)."""
        cuda = self.device.type == "cuda"
        return {"epoch": epoch, "device_type": self.device.type,
                "model": {k: v.detach().cpu() for k, v in self.net.state_dict().items()},
                "optimizer": self.optimizer.state_dict(), "scheduler": self.scheduler.state_dict(),
                "rng": {"torch": torch.get_rng_state(), "batches": self.train_batches.generator.get_state(),
                        "cuda": torch.cuda.get_rng_state_all() if cuda else []},
                "counters": {"train_seconds": self.train_seconds, "device_seconds": self.device_seconds,
                             "images": self.images},
                "metrics": dict(metrics), "history": [dict(h) for h in self.history]}

    def restore(self, state: dict) -> int:
        """Continue from `state` (see `state`); returns the last completed epoch."""
        if state.get("device_type") != self.device.type:
            raise ConfigError(f"the checkpoint was written on {state.get('device_type')}, this run is on "
                              f"{self.device.type}: resume on the same kind of device (the random streams differ)")
        self.net.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        rng = state["rng"]
        torch.set_rng_state(rng["torch"])
        self.train_batches.generator.set_state(rng["batches"])
        if self.device.type == "cuda" and rng.get("cuda"):
            torch.cuda.set_rng_state_all(rng["cuda"])
        counters = state["counters"]
        self.train_seconds, self.device_seconds = counters["train_seconds"], counters["device_seconds"]
        self.images = int(counters["images"])
        self.history = [dict(h) for h in state.get("history", [])]
        return int(state["epoch"])

    def loss(self, out, yb: torch.Tensor) -> torch.Tensor:
        smoothing = self.task.label_smoothing
        if isinstance(out, (tuple, list)):
            logits, aux = out[0], out[1]
            loss = F.cross_entropy(logits, yb, label_smoothing=smoothing)
            if self.task.auxiliary_weight > 0:
                loss = loss + self.task.auxiliary_weight * F.cross_entropy(aux, yb, label_smoothing=smoothing)
            return loss
        return F.cross_entropy(out, yb, label_smoothing=smoothing)

    def _prep(self, xb: torch.Tensor) -> torch.Tensor:
        return xb.contiguous(memory_format=torch.channels_last) if self.channels_last else xb

    def train_epoch(self, epoch: int) -> float:
        """One pass over the training split; returns the mean training loss (raises Diverged)."""
        model, opt = self.model, self.optimizer
        model.train()
        losses = torch.zeros(len(self.train_batches), device=self.device)
        t0 = time.perf_counter()
        try:
            return self._steps(epoch, model, opt, losses)
        finally:
            dt = time.perf_counter() - t0
            self.train_seconds += dt
            self.device_seconds += dt

    def _steps(self, epoch: int, model: nn.Module, opt, losses: torch.Tensor) -> float:
        task = self.task
        step = -1
        for step, (xb, yb) in enumerate(self.train_batches):
            with autocast(self.device, self.amp):
                loss = self.loss(model(self._prep(xb)), yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            if task.grad_clip:
                nn.utils.clip_grad_norm_(self.params, task.grad_clip)
            opt.step()
            self.scheduler.step()
            losses[step] = loss.detach()
            if (step + 1) % CHECK_EVERY == 0:
                self._check(losses, step + 1 - CHECK_EVERY, step + 1, epoch)
        n = step + 1
        self._check(losses, n - n % CHECK_EVERY, n, epoch)  # the steps since the last check
        self.images += min(n * self.train_batches.batch_size, len(self.train_batches.y))
        return float(losses[:n].mean()) if n else float("nan")  # syncs

    def _check(self, losses: torch.Tensor, lo: int, hi: int, epoch: int) -> None:
        window = losses[lo:hi]
        if hi > lo and not bool(torch.isfinite(window.sum())):
            bad = int(torch.nonzero(~torch.isfinite(window))[0, 0])
            raise Diverged(float(window[bad]), epoch, lo + bad + 1)

    @torch.no_grad()
    def recalibrate_bn(self) -> None:
        """Re-estimate BatchNorm running statistics on a few training batches (cumulative average).

        Short proxy trainings at a high learning rate leave the exponential running averages far
        behind the weights: measured on digits after 3 epochs, a cell network scored 0.63 val
        accuracy in eval mode and 0.98 after recalibration. Costs `bn_recalibrate` forward passes.
        """
        n = self.task.bn_recalibrate
        bns = [m for m in self.net.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)
               and m.track_running_stats]
        if n <= 0 or not bns:
            return
        t0 = time.perf_counter()
        saved = [m.momentum for m in bns]
        for m in bns:
            m.reset_running_stats()
            m.momentum = None
        self.model.train()
        for i, (xb, _) in enumerate(self.train_batches):
            if i >= n:
                break
            with autocast(self.device, self.amp):
                self.model(self._prep(xb))
        for m, mom in zip(bns, saved):
            m.momentum = mom
        self.device_seconds += time.perf_counter() - t0

    @torch.no_grad()
    def evaluate(self, split: str) -> tuple[float, float]:
        """(accuracy, mean plain cross-entropy) on "val" or "test"; accumulated on the device."""
        t0 = time.perf_counter()
        batches = self.val_batches if split == "val" else self.dataset.batches(
            "test", self.val_batches.batch_size, device=self.device)
        self.model.eval()
        correct = torch.zeros((), dtype=torch.long, device=self.device)
        loss = torch.zeros((), device=self.device)
        for xb, yb in batches:
            with autocast(self.device, self.amp):
                out = self.model(self._prep(xb))
            out = out[0] if isinstance(out, (tuple, list)) else out  # a head that stays on in eval mode
            loss += F.cross_entropy(out.float(), yb, reduction="sum")
            correct += (out.argmax(1) == yb).sum()
        n = max(1, len(batches.y))
        acc, mean_loss = int(correct) / n, float(loss) / n
        self.device_seconds += time.perf_counter() - t0
        return acc, mean_loss


def _finish(run: _Run | None, net: nn.Module | None, dataset: Dataset, task: Task, device, status: str,
            reason: str | None, metrics: dict, meter: MemoryMeter, t_wall: float) -> Result:
    """Fill the remaining metrics; test accuracy and latency only for completed ("ok") runs."""
    if status == "ok" and run is not None:
        try:
            metrics["test_acc"], _ = run.evaluate("test")
            if task.latency:
                t0 = time.perf_counter()
                for key, batch, reps in (("latency_ms_b1", 1, 10), ("latency_ms_b64", 64, 5)):
                    metrics[key] = latency_ms(run.model, dataset.input_shape, device, batch, reps,
                                              amp=run.amp, channels_last=run.channels_last)
                run.device_seconds += time.perf_counter() - t0
        except Exception as exc:  # noqa: BLE001 - failures are data
            status, reason = "failed", describe(exc)
    if net is not None:
        metrics["params"] = count_params(net)
        try:
            metrics["macs"] = count_macs(net, dataset.input_shape)
        except Exception:  # noqa: BLE001 - a network that cannot run has no MAC count
            metrics["macs"] = None
    if run is not None:
        metrics["device_seconds"] = run.device_seconds
        metrics["img_per_s"] = run.images / run.train_seconds if run.train_seconds > 0 else None
    metrics["peak_mem_bytes"] = meter.peak_bytes()
    metrics["wall_seconds"] = time.perf_counter() - t_wall
    if status == "failed" and reason == "out of memory":
        release_memory()
    return Result(status, reason, metrics)


def check_network(net: nn.Module, task: Task) -> None:
    """The network contract's up-front checks (ConfigError): drop-path needs `drop_path_prob`."""
    if task.drop_path > 0 and not isinstance(getattr(net, "drop_path_prob", None), (int, float)):
        raise ConfigError(f"drop_path {task.drop_path} needs a network with a drop_path_prob attribute; "
                          f"{type(net).__name__} has none")


def train_and_evaluate(model: nn.Module | Callable[..., nn.Module], dataset: Dataset, task: Task | None = None,
                       callback: Callable[[int, dict], bool | None] | None = None, *,
                       checkpoint: Callable[[dict], None] | None = None, resume: dict | None = None) -> Result:
    """Train `model` (a module, or a factory called with num_classes/in_channels/input_size as it
    accepts them) on `dataset` under `task`, calling `callback(epoch, metrics)` after every epoch
    (epochs count from 1). The callback stops training by returning False or raising StopTrial
    (status "stopped"); any other exception it raises propagates. Divergence, out-of-memory and
    exceptions inside the network give status "failed" with a one-line reason.

    `checkpoint(state)` is called after every epoch (before `callback`) with the state that
    `resume=state` continues from; exceptions it raises propagate. The time spent writing
    checkpoints is not in device_seconds.
    """
    task = task or Task(data=dataset.name)
    t_wall = time.perf_counter()
    device = task.resolved_device()
    meter = MemoryMeter(device)
    metrics = empty_metrics()
    metrics["epochs_done"] = 0
    torch.manual_seed(task.seed)
    net = run = None

    def finish(status, reason=None):
        return _finish(run, net, dataset, task, device, status, reason, metrics, meter, t_wall)

    try:
        net = build_model(model, dataset)
        check_network(net, task)
        run = _Run(net, dataset, task, device)
        start = 1
        if resume is not None:
            start = run.restore(resume) + 1
            metrics.update({k: v for k, v in resume.get("metrics", {}).items() if k in metrics})
    except Exception as exc:  # noqa: BLE001 - a candidate that cannot be built is a failed candidate
        return finish("failed", describe(exc))
    for epoch in range(start, task.epochs + 1):
        failure = None
        try:
            drop_prob = run.set_drop_path(epoch)
            lr = run.optimizer.param_groups[0]["lr"]
            train_loss = run.train_epoch(epoch)
            run.recalibrate_bn()
            val_acc, val_loss = run.evaluate("val")
            if not math.isfinite(val_loss):
                raise Diverged(val_loss, epoch, None, "val_loss")
        except Exception as exc:  # noqa: BLE001 - failures are data
            failure = describe(exc)
        if failure is not None:  # outside `except`: the traceback no longer pins the step's tensors
            run.optimizer.zero_grad(set_to_none=True)
            return finish("failed", failure)
        meter.sample()
        sync(device)
        metrics.update(epochs_done=epoch, val_acc=val_acc, val_loss=val_loss, train_loss=train_loss,
                       device_seconds=run.device_seconds)
        report = {"epoch": epoch, "val_acc": val_acc, "val_loss": val_loss, "train_loss": train_loss,
                  "device_seconds": run.device_seconds}
        run.history.append({**report, "lr": lr, "drop_path_prob": drop_prob})
        if checkpoint is not None:
            checkpoint(run.state(epoch, metrics))
        if callback is not None:
            try:
                keep = callback(epoch, report)
            except StopTrial as stop:
                return finish("stopped", str(stop) or f"stopped by callback after epoch {epoch}")
            if keep is False:
                return finish("stopped", f"stopped by callback after epoch {epoch}")
    return finish("ok")
