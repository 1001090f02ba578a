"""Measurements around training: latency at batch 1 and 64, peak memory, synchronized clocks."""

from __future__ import annotations

import contextlib
import os
import resource
import statistics
import time

import torch
from torch import nn


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def autocast(device: torch.device, amp: bool):
    """bf16 autocast on CUDA when amp is on; a no-op elsewhere (CPU trains in float32)."""
    if amp and device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


@torch.no_grad()
def latency_ms(model: nn.Module, input_shape, device: torch.device, batch: int = 1, repeats: int = 10,
               warmup: int = 2, amp: bool = False, channels_last: bool = False) -> float:
    """Median milliseconds of one eval-mode forward pass at `batch` on `device`."""
    was_training = model.training
    model.eval()
    from ..inputs import InputSpec

    x = InputSpec.of(input_shape).example(batch, seed=None, device=device)
    if channels_last and x.dim() == 4:
        x = x.contiguous(memory_format=torch.channels_last)
    times = []
    try:
        with autocast(device, amp):
            for i in range(warmup + repeats):
                sync(device)
                t0 = time.perf_counter()
                model(x)
                sync(device)
                if i >= warmup:
                    times.append(time.perf_counter() - t0)
    finally:
        model.train(was_training)
    return statistics.median(times) * 1000.0


def _rss_bytes() -> int:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):  # pragma: no cover - non-Linux
        return 0


def _maxrss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux


class MemoryMeter:
    """Peak memory of one evaluation: CUDA max_memory_allocated, or on CPU the growth of the
    process's resident set (sampled at epoch ends, and its high-water mark) - an approximation."""

    def __init__(self, device: torch.device):
        self.device = device
        self.base_rss, self.base_max, self.peak_rss = _rss_bytes(), _maxrss_bytes(), 0
        if device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(device)
            self.base_cuda = torch.cuda.memory_allocated(device)

    def sample(self) -> None:
        if self.device.type != "cuda":
            self.peak_rss = max(self.peak_rss, _rss_bytes())

    def peak_bytes(self) -> int:
        if self.device.type == "cuda":
            return int(torch.cuda.max_memory_allocated(self.device))
        self.sample()
        return int(max(0, self.peak_rss - self.base_rss, _maxrss_bytes() - self.base_max))
