"""Learning-rate schedules as per-step multipliers (with linear warmup), keyed by name."""

from __future__ import annotations

import math

import torch


def _cosine(t: float) -> float:
    return 0.5 * (1.0 + math.cos(math.pi * t))


def _step(t: float) -> float:
    return 0.1 ** ((t >= 0.5) + (t >= 0.75))  # the classic x0.1 at 50% and 75% of training


def _constant(t: float) -> float:
    return 1.0


SCHEDULES = {"cosine": _cosine, "step": _step, "constant": _constant}


def lr_lambda(schedule: str, total_steps: int, warmup_steps: int):
    """Multiplier for step s: linear warmup to 1 over warmup_steps, then schedule(progress in [0, 1])."""
    shape = SCHEDULES[schedule]
    decay = max(1, total_steps - warmup_steps)

    def factor(step: int) -> float:
        if step < warmup_steps:
            return (step + 1) / warmup_steps
        return shape(min(1.0, (step - warmup_steps) / decay))
    return factor


def make_scheduler(optimizer, schedule: str, total_steps: int, warmup_steps: int = 0):
    return torch.optim.lr_scheduler.LambdaLR(optimizer, lr_lambda(schedule, total_steps, warmup_steps))
