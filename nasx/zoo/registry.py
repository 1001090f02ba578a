"""The model-zoo registry: classic hand-designed CNNs behind one `create_model` factory.

Each entry carries the paper's metadata as data (year, input size, published error, training
recipe) so that later tools (`--recipe paper`, the `nasx zoo` table) read it instead of
hard-coding it. Builders have the signature `fn(num_classes, input_size, **kwargs) -> nn.Module`
and must accept small inputs (1x28x28, 3x32x32) by adapting their stem (see each family file).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import torch
from torch import nn

from ..errors import NasxError
from ..measure import count_params, parse_input_size
from ..registry import Registry

Builder = Callable[..., nn.Module]
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class ModelSpec:
    name: str
    family: str
    year: int
    paper: str
    input_size: tuple[int, int, int]
    num_classes: int
    dataset: str
    top1_err: float | None
    top5_err: float | None
    recipe: Mapping[str, Any]
    variant_note: str
    builder: Builder = field(repr=False)
    kwargs: Mapping[str, Any] = field(default_factory=dict)

    def info(self) -> dict:
        """The metadata as plain JSON-able data (no builder)."""
        return {"name": self.name, "family": self.family, "year": self.year, "paper": self.paper,
                "input_size": list(self.input_size), "num_classes": self.num_classes,
                "dataset": self.dataset, "top1_err": self.top1_err, "top5_err": self.top5_err,
                "recipe": _plain(self.recipe), "variant_note": self.variant_note}


_MODELS: Registry[ModelSpec] = Registry("model")


def _plain(obj):
    if isinstance(obj, Mapping):
        return {k: _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    return obj


def register_model(name: str, *, family: str, year: int, paper: str,
                   input_size: tuple[int, int, int] = (3, 224, 224), top1_err: float | None = None,
                   top5_err: float | None = None, recipe: Mapping | None = None, variant_note: str = "",
                   num_classes: int = 1000, dataset: str = "imagenet",
                   kwargs: Mapping | None = None) -> Callable[[Builder], Builder]:
    """Register `builder(num_classes, input_size, **kwargs)` under `name` (a taken name is a
    DuplicateName naming both modules).

    Returns the builder unchanged, so one builder can carry a stack of decorators, one per variant,
    each with its own `kwargs`. Errors are in percent; `None` means unpublished.
    """
    if not _NAME.match(name):
        raise ValueError(f"model name {name!r} is not lowercase snake_case")

    def deco(fn: Builder) -> Builder:
        spec = ModelSpec(name, family, year, paper, tuple(input_size), num_classes, dataset, top1_err, top5_err,
                         MappingProxyType(dict(recipe or {})), variant_note, fn, MappingProxyType(dict(kwargs or {})))
        _MODELS.add(name, spec, origin=getattr(fn, "__module__", None))
        return fn

    return deco


def get_spec(name: str) -> ModelSpec:
    if name not in _MODELS:
        close = difflib.get_close_matches(name, list(_MODELS), n=5, cutoff=0.5)
        hint = f"; did you mean: {', '.join(close)}" if close else "; `nasx zoo` lists them"
        raise NasxError(f"unknown model {name!r}{hint}")
    return _MODELS[name]


def families() -> list[str]:
    return list(dict.fromkeys(s.family for s in _MODELS.values()))


def list_models(family: str | None = None) -> list[str]:
    """Model names in registration order (family files are imported oldest first)."""
    if family is not None and family not in families():
        raise NasxError(f"unknown family {family!r}; known families: {', '.join(families())}")
    return [n for n, s in _MODELS.items() if family is None or s.family == family]


def model_info(name: str) -> dict:
    return get_spec(name).info()


def create_model(name: str, num_classes: int | None = None, in_channels: int | None = None,
                 input_size=None, **overrides) -> nn.Module:
    """Build `name`. `num_classes` defaults to the paper's (1000 for ImageNet, 10 for CIFAR/MNIST);
    `input_size` (CxHxW) defaults to the paper's with `in_channels` substituted. Small inputs (e.g.
    1x28x28, 3x32x32) switch the ImageNet models to their documented small-image stem.
    """
    spec = get_spec(name)
    if input_size is None:
        size = (in_channels or spec.input_size[0], *spec.input_size[1:])
    else:
        size = parse_input_size(input_size)
        if in_channels is not None and in_channels != size[0]:
            raise NasxError(f"in_channels={in_channels} contradicts input size {size}")
    if num_classes is not None and num_classes < 1:
        raise NasxError(f"num_classes must be positive, got {num_classes}")
    try:
        return spec.builder(num_classes=num_classes or spec.num_classes, input_size=size,
                            **{**spec.kwargs, **overrides})
    except (ValueError, RuntimeError, ZeroDivisionError) as exc:
        raise NasxError(f"{name}: input size {size} does not fit: {str(exc).splitlines()[0]}") from None


def inference_params(model: nn.Module) -> int:
    """Parameters used at inference: training-only heads in `model.aux` (GoogLeNet/Inception v3
    auxiliary classifiers) are left out, as the papers and torchvision's tables count them."""
    aux = getattr(model, "aux", None)
    return count_params(model) - (count_params(aux) if isinstance(aux, nn.Module) else 0)


def conv_linear_macs(model: nn.Module, input_size) -> int:
    """Conv + linear multiply-accumulates of one eval forward at batch 1, by forward hooks.

    Counts exactly what `nasx.measure.count_macs` counts (FlopCounterMode: conv and matmul only;
    tests assert equality) but ~4x faster on the meta device, where FlopCounterMode's dispatch and
    BatchNorm's Python decomposition dominate. BN and LRN (shape-preserving, never counted) are
    skipped, so the model is left unusable: use it on a throwaway meta copy only.
    """
    total = 0

    def hook(m, _inp, out):
        nonlocal total
        per_out = (m.in_channels // m.groups * m.kernel_size[0] * m.kernel_size[1]
                   if isinstance(m, nn.Conv2d) else m.in_features)
        total += out.numel() * per_out

    hooks = []
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            hooks.append(m.register_forward_hook(hook))
        elif isinstance(m, (nn.modules.batchnorm._BatchNorm, nn.LocalResponseNorm)):
            m.forward = nn.Identity().forward
    p = next(model.parameters())
    model.eval()
    try:
        with torch.no_grad():
            model(torch.empty(1, *parse_input_size(input_size), device=p.device, dtype=p.dtype))
    except RuntimeError as exc:
        raise NasxError(f"input size {input_size} does not fit this network: {str(exc).splitlines()[0]}") from None
    finally:
        for h in hooks:
            h.remove()
    return total


def model_stats(name: str, input_size=None) -> dict:
    """Inference params and MACs at `input_size` (the paper's by default), built on the meta device
    so that even VGG-19 or ResNeXt-101 costs no memory and no initialisation time."""
    spec = get_spec(name)
    size = spec.input_size if input_size is None else parse_input_size(input_size)
    with torch.device("meta"):
        model = create_model(name, input_size=size)
    return {"name": name, "params": inference_params(model), "macs": conv_linear_macs(model, size),
            "input_size": "x".join(map(str, size))}
