"""Proxy registry: `get_proxy(name)` by the name used in `--prescreen NAME:N`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..registry import Registry


@dataclass(frozen=True)
class Proxy:
    """A zero-cost score of an untrained network: higher should mean more accurate after training.

    `fn(net, x, y) -> float`; `x`, `y` are one real minibatch, or a single dummy sample of the
    right shape when `needs_data` is False (synflow only reads the input's shape)."""

    name: str
    fn: Callable
    needs_data: bool
    batch_size: int = 64  # the reference code's minibatch for this proxy
    doc: str = ""


_PROXIES: Registry[Proxy] = Registry("proxy")


def register_proxy(name: str, needs_data: bool = True, batch_size: int = 64):
    """Decorator: the proxy `fn(net, x, y) -> float` as `name` (a taken name is a DuplicateName)."""
    def deco(fn):
        doc = ((fn.__doc__ or "").strip().splitlines() or [""])[0]
        _PROXIES.add(name, Proxy(name, fn, needs_data, batch_size, doc), origin=getattr(fn, "__module__", None))
        return fn
    return deco


def proxy_names() -> list[str]:
    return _PROXIES.names()


def get_proxy(name: str) -> Proxy:
    """The proxy `name`; unknown: a one-line ConfigError listing the known ones."""
    return _PROXIES.get_or_error(name)
