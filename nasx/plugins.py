"""User plugins: modules named in $NASX_PLUGINS (comma-separated) are imported with nasx, in the
driver and in every Ray worker (local Ray workers inherit the environment), so extra ops, space
kinds and strategies registered there are available everywhere."""

from __future__ import annotations

import importlib
import os

from .errors import NasxError

_loaded: set[str] = set()


def load_plugins() -> None:
    for name in filter(None, (s.strip() for s in os.environ.get("NASX_PLUGINS", "").split(","))):
        if name in _loaded:
            continue
        try:
            importlib.import_module(name)
        except ImportError as exc:
            raise NasxError(f"NASX_PLUGINS: cannot import {name!r} ({exc})") from None
        _loaded.add(name)
