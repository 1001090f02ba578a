"""Which path leads from the input to a layer's output: a plain chain of leaf modules, or not.

A deconvnet (Zeiler & Fergus) inverts a network layer by layer, which is only well defined when the
input reaches the chosen layer through a chain of leaf modules each consuming the previous one's
output. One forward pass with hooks records that chain (by tensor identity); a functional op, a
branch, an add or a concat in between breaks it, and the caller falls back to gradients.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn

from ..errors import NasxError


@dataclass
class Step:
    name: str
    module: nn.Module
    input: torch.Tensor
    output: torch.Tensor


@dataclass
class Trace:
    steps: list[Step] = field(default_factory=list)  # the chain, input side first (empty: no chain)
    target: torch.Tensor | None = None  # the layer's output
    broken: str | None = None  # why there is no chain (None: there is one)


def find_layer(model: nn.Module, name: str) -> nn.Module:
    """The module called `name`, or a NasxError that lists the valid names."""
    modules = dict(model.named_modules())
    if name not in modules or not name:
        valid = [n for n in modules if n]
        shown = ", ".join(valid[:60]) + (f", ... ({len(valid)} in all)" if len(valid) > 60 else "")
        raise NasxError(f"unknown layer {name!r}; layers: {shown}")
    return modules[name]


def trace(model: nn.Module, layer: str, x: torch.Tensor) -> Trace:
    """Run `model(x)` recording leaf modules up to `layer`'s output; the chain when there is one."""
    target_module = find_layer(model, layer)
    leaves = [(n, m) for n, m in model.named_modules() if not list(m.children())]
    record: list[Step] = []
    out = Trace()
    handles = []

    def leaf_hook(name):
        def hook(module, inputs, output):
            if out.target is None and inputs and isinstance(inputs[0], torch.Tensor):
                record.append(Step(name, module, inputs[0], output))
        return hook

    def target_hook(_module, _inputs, output):
        if out.target is None:
            out.target = output

    try:
        for n, m in leaves:
            handles.append(m.register_forward_hook(leaf_hook(n)))
        handles.append(target_module.register_forward_hook(target_hook))
        with torch.no_grad():
            model(x)
    finally:
        for h in handles:
            h.remove()
    if not isinstance(out.target, torch.Tensor):
        raise NasxError(f"layer {layer!r} did not produce a tensor on this input")
    out.steps, out.broken = _chain(record, x, out.target)
    return out


def _chain(record: list[Step], x: torch.Tensor, target: torch.Tensor) -> tuple[list[Step], str | None]:
    """Walk back from the target through producers; a gap means a functional op or a merge.

    In-place modules (ReLU(inplace=True)) output their input object, so a tensor can have several
    producers: they are taken latest first.
    """
    producers: dict[int, list[Step]] = {}
    for step in record:
        producers.setdefault(id(step.output), []).append(step)
    chain, t = [], target
    while t is not x:
        pending = producers.get(id(t))
        if not pending:
            return [], "the path to this layer runs through functional ops, branches or merges"
        step = pending.pop()
        chain.append(step)
        t = step.input
    return chain[::-1], None
