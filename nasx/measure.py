"""Measurements of a built network: parameters, MACs/FLOPs, and a per-layer table.

FLOPs come from `torch.utils.flop_counter` (which counts 2 FLOPs per multiply-accumulate of convs
and matmuls and nothing for pooling, BN or activations); MACs are FLOPs / 2, which is how the
papers' tables count them (conv + fully-connected multiply-accumulates).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from .errors import NasxError


def parse_input_size(text: str | tuple | list) -> tuple[int, int, int]:
    """'3x32x32' (C x H x W) -> (3, 32, 32), with a clear error for anything else."""
    if isinstance(text, (tuple, list)):
        parts = [int(v) for v in text]
    else:
        try:
            parts = [int(v) for v in str(text).lower().replace("*", "x").split("x")]
        except ValueError:
            raise NasxError(f"input size {text!r} is not CxHxW, e.g. 3x32x32") from None
    if len(parts) != 3 or min(parts) < 1:
        raise NasxError(f"input size {text!r} is not CxHxW with positive numbers, e.g. 3x32x32")
    if max(parts) > 4096:
        raise NasxError(f"input size {text!r} is too large (at most 4096 per dimension)")
    return parts[0], parts[1], parts[2]


def count_params(model: nn.Module, trainable_only: bool = False) -> int:
    """Parameters of `model`, without those of an auxiliary head (any parameter whose name contains
    "auxiliary"), as DARTS's `count_parameters_in_MB` and the papers' tables count them."""
    return sum(p.numel() for name, p in model.named_parameters()
               if "auxiliary" not in name and (p.requires_grad or not trainable_only))


def _example(model: nn.Module, input_size, batch: int = 1) -> torch.Tensor:
    """A batch of the network's input (`input_size`: a CxHxW shape or a nasx.inputs.InputSpec)."""
    from .inputs import InputSpec

    spec = input_size if isinstance(input_size, InputSpec) else InputSpec(parse_input_size(input_size))
    try:
        p = next(model.parameters())
        dev, dt = p.device, p.dtype
    except StopIteration:
        dev, dt = torch.device("cpu"), torch.float32
    return spec.example(batch, seed=None, device=dev, dtype=dt)


_GATES = {nn.LSTM: 4, nn.GRU: 3, nn.RNN: 1}


def _recurrent_flops(module: nn.RNNBase, inputs) -> int:
    """FLOPs of torch's fused recurrent layers (nn.LSTM / GRU / RNN), which torch.utils.flop_counter does
    not see (one fused aten op): 2 x gates x hidden x (input + hidden) per layer, direction and step."""
    x = inputs[0]
    steps = x.size(0) * x.size(1)  # (T, N) or (N, T): every token of every sequence
    gates = next(g for cls, g in _GATES.items() if isinstance(module, cls))
    h, d = module.hidden_size, 2 if module.bidirectional else 1
    per_step = sum(gates * h * ((module.input_size if layer == 0 else h * d) + h) for layer in range(module.num_layers))
    return 2 * steps * d * per_step


def count_flops(model: nn.Module, input_size=(3, 32, 32)) -> int:
    """FLOPs of one forward pass at batch 1 (eval mode), as torch.utils.flop_counter counts them, plus
    torch's fused recurrent layers, which it does not count."""
    x = _example(model, input_size)
    was_training = model.training
    model.eval()
    extra = [0]
    hooks = [m.register_forward_hook(lambda mod, inp, out: extra.__setitem__(0, extra[0] + _recurrent_flops(mod, inp)))
             for m in model.modules() if isinstance(m, tuple(_GATES))]
    try:
        with torch.no_grad(), FlopCounterMode(display=False) as counter:
            model(x)
    except RuntimeError as exc:
        raise NasxError(f"input size {input_size} does not fit this network: {str(exc).splitlines()[0]}") from None
    finally:
        model.train(was_training)
        for hook in hooks:
            hook.remove()
    return int(counter.get_total_flops()) + extra[0]


def count_macs(model: nn.Module, input_size=(3, 32, 32)) -> int:
    """Multiply-accumulates of one forward pass at batch 1 (conv + linear), = FLOPs / 2."""
    return count_flops(model, input_size) // 2


@dataclass
class LayerRow:
    name: str
    kind: str
    output_shape: tuple
    activations: int
    activation_bytes: int
    params: int
    macs: int


def layer_table(model: nn.Module, input_size=(3, 32, 32)) -> list[LayerRow]:
    """One row per leaf module in execution order: output shape, activation count/bytes, params, MACs.

    Activation memory is the module's output at batch 1 in the model's dtype (the quantity the
    classic "VGG-16 needs ~96 MB per image for a forward pass" estimate adds up).
    """
    rows: list[LayerRow] = []
    hooks = []
    leaves = [(n, m) for n, m in model.named_modules() if not list(m.children())]
    flops_by_module: dict[str, int] = {}

    def make_hook(name, mod):
        def hook(_m, _inp, out):
            t = out[0] if isinstance(out, (tuple, list)) else out
            if not isinstance(t, torch.Tensor):
                return
            params = sum(p.numel() for p in mod.parameters(recurse=False))
            rows.append(LayerRow(name, type(mod).__name__, tuple(t.shape[1:]), t[0].numel(),
                                 t[0].numel() * t.element_size(), params, 0))
        return hook

    for n, m in leaves:
        hooks.append(m.register_forward_hook(make_hook(n, m)))
    x = _example(model, input_size)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad(), FlopCounterMode(display=False) as counter:
            model(x)
    except RuntimeError as exc:
        raise NasxError(f"input size {input_size} does not fit this network: {str(exc).splitlines()[0]}") from None
    finally:
        model.train(was_training)
        for h in hooks:
            h.remove()
    prefix = type(model).__name__
    for key, per_op in counter.get_flop_counts().items():
        flops_by_module[key] = sum(per_op.values())
    for r in rows:
        r.macs = flops_by_module.get(f"{prefix}.{r.name}", 0) // 2
    return rows


def summarize(model: nn.Module, input_size=(3, 32, 32)) -> dict:
    """params, MACs and FLOPs at `input_size` (a CxHxW shape or a nasx.inputs.InputSpec, e.g. token
    ids) as one dict (what `nasx describe` prints); `input_size` as text: '3x32x32', '35 tokens (vocab 10000)'."""
    from .inputs import InputSpec

    spec = input_size if isinstance(input_size, InputSpec) else InputSpec(parse_input_size(input_size))
    flops = count_flops(model, spec)
    return {"params": count_params(model), "macs": flops // 2, "flops": flops, "input_size": spec.text()}


def rows_as_dicts(rows: list[LayerRow]) -> list[dict]:
    return [asdict(r) for r in rows]
