"""Learning-rate schedules as per-step multipliers (with linear warmup), keyed by name.

"exponential" is the per-epoch staircase of DARTS's ImageNet training (StepLR(step_size=1,
gamma=0.97)): after warmup, every step of epoch e (counted from 0 after warmup) runs at gamma^e.
"""

from __future__ import annotations

import math

import torch


def _cosine(t: float) -> float:
    return 0.5 * (1.0 + math.cos(math.pi * t))


def _step(t: float) -> float:
    return 0.1 ** ((t >= 0.5) + (t >= 0.75))  # the classic x0.1 at 50% and 75% of training


def _constant(t: float) -> float:
    return 1.0


def _exponential(t: float) -> float:  # placeholder: needs steps per epoch, see lr_lambda
    raise NotImplementedError


SCHEDULES = {"cosine": _cosine, "step": _step, "constant": _constant, "exponential": _exponential}


def lr_lambda(schedule: str, total_steps: int, warmup_steps: int, steps_per_epoch: int = 1, gamma: float = 0.97):
    """Multiplier for step s: linear warmup to 1 over warmup_steps, then schedule(progress in [0, 1])
    (or gamma ** whole epochs since warmup for "exponential")."""
    shape = SCHEDULES[schedule]
    decay = max(1, total_steps - warmup_steps)
    per_epoch = max(1, steps_per_epoch)

    def factor(step: int) -> float:
        if step < warmup_steps:
            return (step + 1) / warmup_steps
        if schedule == "exponential":
            return gamma ** ((step - warmup_steps) // per_epoch)
        return shape(min(1.0, (step - warmup_steps) / decay))
    return factor


def make_scheduler(optimizer, schedule: str, total_steps: int, warmup_steps: int = 0, steps_per_epoch: int = 1,
                   gamma: float = 0.97):
    return torch.optim.lr_scheduler.LambdaLR(
        optimizer, lr_lambda(schedule, total_steps, warmup_steps, steps_per_epoch, gamma))
