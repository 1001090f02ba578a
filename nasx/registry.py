"""One registry helper for every named thing nasx looks up (ops, models, spaces, strategies, task kinds,
trial runners, loaders, proxies, runtimes...), with one rule for names.

- A name is registered once. A second registration under a taken name is a `DuplicateName` (a
  `ConfigError`: one line, exit 2) that names both modules, so a plugin cannot silently replace a
  built-in part and its author is told which file to rename in.
- An unknown name is a `ConfigError` listing the known names (with a close match when there is one).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterator, Mapping
from typing import Generic, TypeVar

from .errors import ConfigError

T = TypeVar("T")


class DuplicateName(ConfigError):
    """A name already taken in a registry (a plugin registering a built-in's name, or twice)."""


def _origin(obj) -> str:
    module = getattr(obj, "__module__", None) or getattr(type(obj), "__module__", None)
    return module or "?"


class Registry(Mapping, Generic[T]):
    """name -> object, in registration order. `what` names the kind in messages ("task kind")."""

    def __init__(self, what: str):
        self.what = what
        self._items: dict[str, T] = {}
        self._origins: dict[str, str] = {}

    def add(self, name: str, obj: T, origin: str | None = None) -> T:
        """Register `obj` under `name`; a taken name is a DuplicateName naming both modules."""
        if not isinstance(name, str) or not name:
            raise ConfigError(f"{self.what} name must be a non-empty string, got {name!r}")
        origin = origin or _origin(obj)
        if name in self._items:
            raise DuplicateName(f"{origin}: {self.what} {name!r} is already registered by "
                                f"{self._origins[name]}; register it under another name")
        self._items[name] = obj
        self._origins[name] = origin
        return obj

    def register(self, name: str) -> Callable[[T], T]:
        """Decorator form of `add`."""
        def deco(obj: T) -> T:
            return self.add(name, obj)
        return deco

    def get_or_error(self, name: str) -> T:
        """The object registered under `name`; unknown: a one-line ConfigError with the known names."""
        if name not in self._items:
            close = difflib.get_close_matches(str(name), list(self._items), n=2)
            hint = f" (did you mean {', '.join(close)}?)" if close else ""
            raise ConfigError(f"unknown {self.what} {name!r}{hint}; known: {', '.join(self.names())}")
        return self._items[name]

    def names(self) -> list[str]:
        return sorted(self._items)

    def origin(self, name: str) -> str:
        """The module that registered `name`."""
        return self._origins[name]

    def remove(self, name: str) -> None:
        """Unregister (tests that register a temporary part clean up with this)."""
        self._items.pop(name, None)
        self._origins.pop(name, None)

    # Mapping protocol: `name in registry`, `registry[name]`, iteration in registration order
    def __getitem__(self, name: str) -> T:
        return self._items[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"Registry({self.what!r}, {self.names()})"

