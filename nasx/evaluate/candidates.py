"""Candidate -> nn.Module, through a registry of (matches, build) rules tried in order: rules registered
with `first=True` (latest first), then the others in registration order.

A candidate is an nn.Module, a "zoo:<name>" string, a genotype (anything with a `.space` str), or a
factory callable; factories receive whichever of num_classes / in_channels / input_size
(C, H, W) / input_shape they name in their signature.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass

from torch import nn

from ..errors import NasxError
from ..registry import Registry


@dataclass(frozen=True)
class CandidateKind:
    name: str
    matches: Callable[[object], bool]
    build: Callable[[object, object], nn.Module]  # (candidate, dataset) -> module
    first: bool = False  # tried ahead of the rules registered without it


CANDIDATE_KINDS: Registry[CandidateKind] = Registry("candidate kind")


def register_candidate_kind(name: str, matches, build, first: bool = False) -> None:
    """Add a rule; `first=True` puts it ahead of the built-in ones (a taken name is a DuplicateName)."""
    CANDIDATE_KINDS.add(name, CandidateKind(name, matches, build, first), origin=getattr(build, "__module__", None))


def kinds_in_order() -> list[CandidateKind]:
    """The rules in the order they are tried: `first` ones, latest registered first, then the rest."""
    kinds = list(CANDIDATE_KINDS.values())
    return [k for k in reversed(kinds) if k.first] + [k for k in kinds if not k.first]


def _shape_kwargs(dataset) -> dict:
    c, h, w = dataset.input_shape
    return {"num_classes": dataset.num_classes, "in_channels": c, "input_size": (c, h, w),
            "input_shape": (c, h, w)}


def call_factory(factory: Callable[..., nn.Module], dataset) -> nn.Module:
    try:
        names = inspect.signature(factory).parameters
    except (TypeError, ValueError):
        names = {}
    kwargs = {k: v for k, v in _shape_kwargs(dataset).items() if k in names}
    return factory(**kwargs)


def _build_zoo(candidate: str, dataset) -> nn.Module:
    from ..zoo import create_model  # lazy: the zoo is optional at import time

    c, h, w = dataset.input_shape
    return create_model(candidate[len("zoo:"):], num_classes=dataset.num_classes, in_channels=c,
                        input_size=(c, h, w))


def _build_genotype(candidate, dataset) -> nn.Module:
    from ..spaces import build_genotype  # lazy: spaces pull in their YAML declarations

    return build_genotype(candidate, num_classes=dataset.num_classes, input_size=tuple(dataset.input_shape))


def _check_module(m) -> nn.Module:
    if not isinstance(m, nn.Module):
        raise TypeError(f"candidate factory returned {type(m).__name__}, not an nn.Module")
    return m


register_candidate_kind("module", lambda c: isinstance(c, nn.Module), lambda c, ds: c)
register_candidate_kind("zoo", lambda c: isinstance(c, str) and c.startswith("zoo:"), _build_zoo)
register_candidate_kind("genotype", lambda c: isinstance(getattr(c, "space", None), str), _build_genotype)
register_candidate_kind("factory", callable, call_factory)


def candidate_kind(candidate) -> CandidateKind:
    for kind in kinds_in_order():
        if kind.matches(candidate):
            return kind
    raise NasxError(f"cannot evaluate a {type(candidate).__name__}: expected an nn.Module, a factory, "
                    "'zoo:<name>' or a genotype")


def build_model(candidate, dataset) -> nn.Module:
    """The network for `candidate`, sized for `dataset` (classes, channels, resolution)."""
    return _check_module(candidate_kind(candidate).build(candidate, dataset))
