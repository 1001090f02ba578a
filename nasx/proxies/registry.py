"""Proxy registry: `get_proxy(name)` by the name used in `--prescreen NAME:N`."""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass

from ..errors import ConfigError


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


_PROXIES: dict[str, Proxy] = {}


def register_proxy(name: str, needs_data: bool = True, batch_size: int = 64):
    def deco(fn):
        if name in _PROXIES:
            raise ValueError(f"proxy {name!r} is already registered")
        _PROXIES[name] = Proxy(name, fn, needs_data, batch_size, (fn.__doc__ or "").strip().splitlines()[0])
        return fn
    return deco


def proxy_names() -> list[str]:
    return sorted(_PROXIES)


def get_proxy(name: str) -> Proxy:
    if name not in _PROXIES:
        close = difflib.get_close_matches(str(name), _PROXIES, n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        raise ConfigError(f"unknown proxy {name!r}{hint}; choose from {', '.join(proxy_names())}")
    return _PROXIES[name]
