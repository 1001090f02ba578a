"""Strategy registry: `create_strategy(name, space, **kw)` by the name used on the CLI."""

from __future__ import annotations

import difflib

from ..errors import ConfigError

_STRATEGIES: dict[str, type] = {}


def register_strategy(name: str):
    def deco(cls):
        if name in _STRATEGIES:
            raise ValueError(f"strategy {name!r} is already registered")
        cls.name = name
        _STRATEGIES[name] = cls
        return cls
    return deco


def strategy_names() -> list[str]:
    return sorted(_STRATEGIES)


def create_strategy(name: str, space, **kwargs):
    if name not in _STRATEGIES:
        close = difflib.get_close_matches(name, _STRATEGIES, n=2)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise ConfigError(f"unknown strategy {name!r}{hint}; choose from {', '.join(strategy_names())}")
    return _STRATEGIES[name](space, **kwargs)


def strategy_class(name: str) -> type:
    if name not in _STRATEGIES:
        create_strategy(name, None)  # raises the one-line error
    return _STRATEGIES[name]
