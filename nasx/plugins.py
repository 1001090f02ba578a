"""Plug-ins: modules imported with nasx that register parts (ops, space kinds, strategies, task kinds,
trial runners, run reports) in the registries.

`BUILTIN` are nasx's own (the image-classification task kind, ENAS); then the modules named in
$NASX_PLUGINS (comma-separated) are imported, in the driver and in every Ray worker (local Ray
workers inherit the environment), so what they register is available everywhere. A plug-in that
cannot be imported or registers a taken name is one line naming it (a NasxError); `import nasx`
keeps that error (`failure`) and the command line raises it before running any command.
"""

from __future__ import annotations

import importlib
import os

from .errors import NasxError

BUILTIN = ("nasx.tasks", "nasx.enas")
_loaded: set[str] = set()
failure: NasxError | None = None


def _load(name: str) -> None:
    try:
        importlib.import_module(name)
    except ImportError as exc:
        raise NasxError(f"NASX_PLUGINS: cannot import {name!r} ({exc})") from None
    except NasxError as exc:
        raise NasxError(f"plug-in {name}: {exc}" if name not in str(exc) else str(exc)) from None
    _loaded.add(name)


def load_plugins() -> None:
    """Import the built-in plug-ins, then the user's; raises the first failure (again on each call)."""
    global failure
    if failure is not None:
        raise failure
    names = [*BUILTIN, *filter(None, (s.strip() for s in os.environ.get("NASX_PLUGINS", "").split(",")))]
    for name in names:
        if name in _loaded:
            continue
        try:
            _load(name)
        except NasxError as exc:
            failure = exc
            raise
