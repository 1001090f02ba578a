"""Shape arithmetic shared by the zoo families and the family spaces.

Small-image policy: an input whose smaller side is under a family's `small` threshold (64 unless
the family says otherwise) gets a CIFAR-style stem: the ImageNet stem's stride-2 convs and pools
are replaced by a stride-1 3x3 conv, so the body's own downsamplings act on the 28x28/32x32 image.
"""

from __future__ import annotations

import math


def is_small(input_size, threshold: int = 64) -> bool:
    return min(input_size[1], input_size[2]) < threshold


def out_size(h: int, k: int, s: int = 1, p: int = 0, ceil: bool = False) -> int:
    """Output side of a conv/pool (PyTorch's formula, with ceil_mode when asked)."""
    v = (h + 2 * p - k) / s
    n = (math.ceil(v) if ceil else math.floor(v)) + 1
    if ceil and (n - 1) * s >= h + p:
        n -= 1
    if n < 1:
        raise ValueError(f"a {k}x{k}/{s} window does not fit a {h}-pixel side")
    return n


def make_divisible(v: float, divisor: int = 8, min_value: int | None = None) -> int:
    """Round a scaled channel count to a multiple of `divisor`, never dropping more than 10%."""
    min_value = min_value or divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    return new_v + divisor if new_v < 0.9 * v else new_v
