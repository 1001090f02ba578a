"""Strategy registry: `create_strategy(name, space, **kw)` by the name used on the CLI."""

from __future__ import annotations

from ..registry import Registry

_STRATEGIES: Registry[type] = Registry("strategy")


def register_strategy(name: str):
    """Class decorator: register a Strategy subclass under its CLI name (a taken name is a DuplicateName)."""
    def deco(cls):
        _STRATEGIES.add(name, cls)
        cls.name = name
        return cls
    return deco


def strategy_names() -> list[str]:
    return _STRATEGIES.names()


def strategy_class(name: str) -> type:
    """The registered class; an unknown name is one line listing the strategies (with a close match)."""
    return _STRATEGIES.get_or_error(name)


def create_strategy(name: str, space, **kwargs):
    return strategy_class(name)(space, **kwargs)
