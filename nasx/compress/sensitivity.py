"""Per-layer pruning rates from each layer's sensitivity, as in Han et al. (NIPS 2015, Sec. 4; Deep
Compression, Sec. 2): a layer that costs accuracy when pruned keeps more weights than one that does not.

Each conv/linear layer is pruned alone at a grid of rates and the validation accuracy measured (its
sensitivity curve). One tolerated accuracy loss `t` is shared by every layer: a layer gets the
highest rate whose loss (and every lower rate's) stays within `t`, and `t` is the smallest that
reaches the overall target; between two grid levels the rates are interpolated so the total lands
on the target exactly. Each rate is then stated as the papers state it: a threshold of `q` x the
layer's weight standard deviation (`quality`).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

Layers = list[tuple[str, nn.Module]]

RATES = (0.3, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.93, 0.95, 0.97, 0.98, 0.99)
MAX_EVALS = 240  # sensitivity points in all: a 66-layer cell network gets 4 rates per layer, LeNet-5 all 12


def grid(n_groups: int, rates=RATES, max_evals: int = MAX_EVALS) -> tuple[float, ...]:
    """`rates` thinned evenly (first and last kept) so that `n_groups` curves cost at most `max_evals`
    evaluations, never fewer than 4 rates per curve."""
    k = max(4, min(len(rates), max_evals // max(1, n_groups)))
    if k >= len(rates):
        return tuple(rates)
    return tuple(rates[round(i * (len(rates) - 1) / (k - 1))] for i in range(k))


def _zero_smallest(weight: torch.Tensor, rate: float) -> torch.Tensor:
    flat = weight.flatten().clone()
    flat[flat.abs().argsort()[: round(rate * flat.numel())]] = 0
    return flat.view_as(weight)


def groups(model: nn.Module, layers: Layers) -> dict[str, Layers]:
    """Layers as the papers count them: convs held in one nn.ModuleList (LeNet-5's C3, one small conv
    per output map) are one layer, named after the list; every other conv/linear is its own."""
    lists = {n for n, m in model.named_modules() if isinstance(m, nn.ModuleList)}
    out: dict[str, Layers] = {}
    for name, m in layers:
        parent = name.rpartition(".")[0]
        out.setdefault(parent if parent in lists else name, []).append((name, m))
    return out


@torch.no_grad()
def curves(grouped: dict[str, Layers], evaluate: Callable[[], float],
           rates=RATES) -> tuple[float, dict[str, list[float]]]:
    """(accuracy unpruned, group -> accuracy loss at each rate with only that group pruned)."""
    base = evaluate()
    out = {}
    for group, members in grouped.items():
        saved = [m.weight.detach().clone() for _, m in members]
        drops = []
        for r in rates:
            for (_, m), w in zip(members, saved):
                m.weight.copy_(_zero_smallest(w, r))
            drops.append(base - evaluate())
        for (_, m), w in zip(members, saved):
            m.weight.copy_(w)
        out[group] = drops
    return base, out


def _rates_at(drops: dict[str, list[float]], t: float, rates) -> dict[str, float]:
    out = {}
    for name, d in drops.items():
        r = 0.0
        for rate, loss in zip(rates, d):
            if loss > t:
                break
            r = rate
        out[name] = r
    return out


def allocate(drops: dict[str, list[float]], sizes: dict[str, int], target: float, rates=RATES) -> dict[str, float]:
    """Per-layer rates that prune `target` of all weights, the least sensitive layers the most."""
    rates = tuple(rates)
    if target > rates[-1]:  # a target beyond the grid: the grid's last rate becomes the target
        rates = rates[:-1] + (target,)
    total = sum(sizes.values())

    def overall(a: dict[str, float]) -> float:
        return sum(a[n] * sizes[n] for n in a) / max(1, total)

    prev = dict.fromkeys(drops, 0.0)
    for t in sorted({x for d in drops.values() for x in d}):
        cur = _rates_at(drops, t, rates)
        if overall(cur) >= target:
            lo, hi = overall(prev), overall(cur)
            a = 1.0 if hi <= lo else (target - lo) / (hi - lo)
            return {n: prev[n] + a * (cur[n] - prev[n]) for n in drops}
        prev = cur
    return prev  # unreachable: at the largest loss every layer is at the grid's last rate >= target


@torch.no_grad()
def quality(weight: torch.Tensor, rate: float) -> float:
    """The threshold that prunes `rate` of `weight`, in units of its standard deviation (the papers' q)."""
    w = weight.detach().abs().flatten().float()
    k = round(rate * w.numel())
    if k == 0 or w.numel() < 2:
        return 0.0
    threshold = float(w.kthvalue(k).values)
    return threshold / max(float(weight.detach().float().std()), 1e-12)
