"""Training and evaluating one language model under an `LMTask` (DARTS's recurrent recipe).

Truncated BPTT over `batch_size` contiguous streams (batch-first), the hidden state carried across
chunks and detached between them; each chunk's length is drawn as in DARTS's `train_search.py`
(35 with p=0.95 else 17.5, then N(., 5), at least 5) with the learning rate scaled by length / bptt;
gradients clipped to `grad_clip`; SGD, switched to averaged SGD (`asgd_nonmono`) when validation
stops improving, evaluating with the averaged weights as DARTS's `train.py` does. Losses are in nats
per token; bpc = nats / ln 2, perplexity = e^nats. Divergence (a non-finite loss) and out-of-memory
are failed results, never exceptions.

Checkpoints (`nasx train`): `checkpoint(state)` after every epoch gets everything needed to continue
(weights, which optimizer and its state with ASGD's `ax`, the numpy generator that draws the BPTT
lengths, torch's RNG, the validation history ASGD's switch reads, the metrics and per-epoch
history; tensors and plain values, so `torch.load(weights_only=True)` reads it); `resume=state`
continues from it, on CPU bit for bit as if never stopped.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from ..errors import ConfigError
from ..evaluate.result import Result, StopTrial
from .task import LMTask

LN2 = math.log(2.0)


def detach(hidden):
    """The hidden state cut from the graph of the chunk before (a tensor or nested tuple of them)."""
    if hidden is None:
        return None
    if isinstance(hidden, torch.Tensor):
        return hidden.detach()
    return type(hidden)(detach(h) for h in hidden)


def chunk_lengths(total: int, bptt: int, rng: np.random.Generator):
    """(start, length) of each training chunk over `total` positions, lengths drawn as DARTS draws them."""
    i = 0
    while i < total - 1:
        base = bptt if rng.random() < 0.95 else bptt / 2.0
        seq_len = max(5, int(rng.normal(base, 5)))
        seq_len = min(seq_len, total - 1 - i)
        if seq_len < 1:
            break
        yield i, seq_len
        i += seq_len


@torch.no_grad()
def evaluate_lm(model: nn.Module, source: torch.Tensor, bptt: int) -> float:
    """Mean nats per token of `model` over `source` (N streams x L), in chunks of `bptt`."""
    from ..text import get_batch

    model.eval()
    hidden = model.init_hidden(source.size(0))
    total, count = 0.0, 0
    for i in range(0, source.size(1) - 1, bptt):
        x, y = get_batch(source, i, bptt)
        logits, hidden = model(x, hidden)
        total += float(F.cross_entropy(logits.reshape(-1, logits.size(-1)), y.reshape(-1), reduction="sum"))
        count += y.numel()
    return total / max(count, 1)


class _Averaged:
    """Evaluate with ASGD's averaged weights (its `ax` state), then put the live weights back."""

    def __init__(self, opt):
        self.opt = opt

    def __enter__(self):
        self.saved = {}
        if isinstance(self.opt, torch.optim.ASGD):
            for group in self.opt.param_groups:
                for p in group["params"]:
                    ax = self.opt.state.get(p, {}).get("ax")
                    if ax is not None:
                        self.saved[p] = p.detach().clone()
                        p.data.copy_(ax)
        return self

    def __exit__(self, *exc):
        for p, data in self.saved.items():
            p.data.copy_(data)


def _metrics(prefix: str, nats: float) -> dict:
    return {f"{prefix}_loss": nats, f"{prefix}_bpc": nats / LN2,
            f"{prefix}_ppl": math.exp(nats) if nats < 700 else float("inf")}


def _optimizer(name: str, model: nn.Module, task: LMTask) -> torch.optim.Optimizer:
    """DARTS's optimizers: plain SGD, then averaged SGD from the switch on ("asgd")."""
    if name == "asgd":
        return torch.optim.ASGD(model.parameters(), lr=task.lr, t0=0, lambd=0.0, weight_decay=task.weight_decay)
    return torch.optim.SGD(model.parameters(), lr=task.lr, weight_decay=task.weight_decay)


def _opt_name(opt) -> str:
    return "asgd" if isinstance(opt, torch.optim.ASGD) else "sgd"


def _state(epoch: int, model: nn.Module, opt, rng: np.random.Generator, device: torch.device, best_vals: list,
           metrics: dict, history: list) -> dict:
    """Everything needed to continue after `epoch`, copied (training goes on changing the live tensors)."""
    cuda = device.type == "cuda"
    return {"epoch": epoch, "device_type": device.type,
            "model": {k: v.detach().cpu().clone() for k, v in model.state_dict().items()},
            "optimizer": {"name": _opt_name(opt), "state": copy.deepcopy(opt.state_dict())},
            "rng": {"numpy": rng.bit_generator.state, "torch": torch.get_rng_state(),
                    "cuda": torch.cuda.get_rng_state_all() if cuda else []},
            "best_vals": list(best_vals), "metrics": dict(metrics), "history": [dict(h) for h in history]}


def _restore(state: dict, model: nn.Module, task: LMTask, rng: np.random.Generator, device: torch.device):
    """(optimizer, last completed epoch) after loading `state` into the model and the generators."""
    if state.get("device_type") != device.type:
        raise ConfigError(f"the checkpoint was written on {state.get('device_type')}, this run is on "
                          f"{device.type}: resume on the same kind of device (the random streams differ)")
    model.load_state_dict(state["model"])
    opt = _optimizer(state["optimizer"]["name"], model, task)
    opt.load_state_dict(state["optimizer"]["state"])
    rng.bit_generator.state = state["rng"]["numpy"]
    torch.set_rng_state(state["rng"]["torch"])
    if device.type == "cuda" and state["rng"].get("cuda"):
        torch.cuda.set_rng_state_all(state["rng"]["cuda"])
    return opt, int(state["epoch"])


def train_lm(model: nn.Module, corpus, task: LMTask, callback: Callable[[int, dict], bool | None] | None = None,
             *, checkpoint: Callable[[dict], None] | None = None, resume: dict | None = None) -> Result:
    """Train `model` on `corpus` under `task`; `callback(epoch, metrics)` after every epoch but the last
    may stop it (return False or raise StopTrial: status "stopped"). The model ends with the weights it
    was evaluated with (ASGD's averages when averaging started). `checkpoint(state)` is called after
    every epoch (before `callback`; its exceptions propagate) with the state `resume=state` continues from."""
    from ..text import batchify, get_batch

    device = task.resolved_device()
    model.to(device)
    train = batchify(corpus.train, task.batch_size, device)
    valid = batchify(corpus.valid, task.eval_batch_size, device)
    test = batchify(corpus.test, task.eval_batch_size, device)
    rng = np.random.default_rng(task.seed)
    opt: torch.optim.Optimizer = _optimizer("sgd", model, task)
    metrics: dict = {"epochs_done": 0}
    best_vals: list[float] = []
    history: list[dict] = []
    start = 1
    t0, tokens = time.time(), 0
    if resume is not None:
        opt, done = _restore(resume, model, task, rng, device)
        start = done + 1
        metrics = dict(resume.get("metrics") or metrics)
        best_vals = [float(v) for v in resume.get("best_vals", [])]
        history = [dict(h) for h in resume.get("history", [])]

    def finish(status, reason=None):
        metrics["tokens_per_s"] = tokens / max(time.time() - t0, 1e-9)
        return Result(status, reason, metrics)

    try:
        for epoch in range(start, task.epochs + 1):
            model.train()
            hidden = model.init_hidden(task.batch_size)
            total, count = 0.0, 0
            epoch_optimizer = _opt_name(opt)
            for i, seq_len in chunk_lengths(train.size(1), task.bptt, rng):
                for group in opt.param_groups:
                    group["lr"] = task.lr * seq_len / task.bptt
                x, y = get_batch(train, i, seq_len)
                hidden = detach(hidden)
                logits, hidden = model(x, hidden)
                loss = F.cross_entropy(logits.reshape(-1, logits.size(-1)), y.reshape(-1))
                if not torch.isfinite(loss):
                    return finish("failed", f"diverged: loss {float(loss.detach())} in epoch {epoch}")
                opt.zero_grad(set_to_none=True)
                loss.backward()
                nn.utils.clip_grad_norm_(model.parameters(), task.grad_clip)
                opt.step()
                total += float(loss.detach()) * y.numel()
                count += y.numel()
                tokens += y.numel()
            with _Averaged(opt):
                val = evaluate_lm(model, valid, task.bptt)
            if not math.isfinite(val):
                return finish("failed", f"diverged: validation loss {val} after epoch {epoch}")
            metrics.update({"train_loss": total / max(count, 1), **_metrics("val", val), "epochs_done": epoch})
            n = task.asgd_nonmono
            if n and isinstance(opt, torch.optim.SGD) and len(best_vals) > n and val > min(best_vals[:-n]):
                opt = _optimizer("asgd", model, task)
                metrics["asgd_from_epoch"] = epoch + 1
            best_vals.append(val)
            history.append({"epoch": epoch, **{k: v for k, v in metrics.items() if k.startswith(("val_", "train_"))},
                            "lr": task.lr, "optimizer": epoch_optimizer})
            if checkpoint is not None:
                checkpoint(_state(epoch, model, opt, rng, device, best_vals, metrics, history))
            if callback is not None and epoch < task.epochs:
                try:
                    if callback(epoch, {k: v for k, v in metrics.items() if k.startswith(("val_", "train_"))}) is False:
                        return finish("stopped", f"stopped by callback after epoch {epoch}")
                except StopTrial as stop:
                    return finish("stopped", str(stop) or f"stopped by callback after epoch {epoch}")
        with _Averaged(opt) as averaged:
            metrics.update(_metrics("test", evaluate_lm(model, test, task.bptt)))
            averaged.saved = {}  # keep the averaged weights: they are the ones evaluated
    except torch.OutOfMemoryError:
        return finish("failed", "out of memory")
    return finish("ok")
