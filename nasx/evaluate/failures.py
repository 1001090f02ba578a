"""Turn what went wrong while training a candidate into a one-line reason (failures are data)."""

from __future__ import annotations

import torch


class Diverged(Exception):
    """Non-finite loss; the message is the reason recorded in the Result."""

    def __init__(self, value: float, epoch: int, step: int | None, what: str = "loss"):
        where = f"epoch {epoch}" + (f" step {step}" if step is not None else "")
        super().__init__(f"diverged ({what}={value} at {where})")


def is_oom(exc: BaseException) -> bool:
    return isinstance(exc, torch.OutOfMemoryError) or (
        isinstance(exc, RuntimeError) and "out of memory" in str(exc).lower())


def describe(exc: BaseException) -> str:
    """'out of memory', the divergence message, or 'ExcType: first line of the message'."""
    if isinstance(exc, Diverged):
        return str(exc)
    if is_oom(exc):
        return "out of memory"
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__


def release_memory() -> None:
    """After an OOM: give the cached blocks back so the next candidate starts clean."""
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
