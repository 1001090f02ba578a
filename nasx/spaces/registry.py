"""Space kinds (Python classes) and space instances (YAML files in search_spaces/), by name.

A YAML file declares `kind:` plus that kind's settings; `get_space("cells")` loads
`search_spaces/cells.yaml` (bundled with the package), and a path to any YAML file works too.
"""

from __future__ import annotations

import difflib
from functools import lru_cache
from pathlib import Path

import yaml

from .._data import data_dir
from ..errors import SpaceError
from ..registry import Registry

_KINDS: Registry[type] = Registry("space kind")


def register_kind(kind: str):
    """Class decorator: the space kind `kind` (a taken kind is a DuplicateName naming both modules)."""
    def deco(cls):
        return _KINDS.add(kind, cls)
    return deco


def spaces_dir() -> Path:
    return data_dir("search_spaces")


def space_names() -> list[str]:
    return sorted(p.stem for p in spaces_dir().glob("*.yaml"))


def read_yaml(path: Path) -> dict:
    """Safe-load a YAML mapping with a one-line error naming the file and line."""
    try:
        obj = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" line {mark.line + 1} column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise SpaceError(f"{path}:{at}: malformed YAML: {problem}") from None
    except OSError as exc:
        raise SpaceError(f"{path}: cannot read ({exc.strerror})") from None
    if not isinstance(obj, dict):
        raise SpaceError(f"{path}: expected a YAML mapping of settings")
    return obj


def _resolve(name: str) -> Path:
    p = Path(name)
    if p.suffix in (".yaml", ".yml"):
        if not p.is_file():
            raise SpaceError(f"space file {name} does not exist")
        return p
    cand = spaces_dir() / f"{name}.yaml"
    if not cand.is_file():
        close = difflib.get_close_matches(name, space_names(), n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise SpaceError(f"unknown space {name!r}{hint}; known spaces: {', '.join(space_names())}")
    return cand


@lru_cache(maxsize=64)
def get_space(name: str):
    """The space declared by `search_spaces/<name>.yaml` (or a YAML path)."""
    path = _resolve(name)
    raw = read_yaml(path)
    kind = raw.get("kind")
    if kind not in _KINDS:
        raise SpaceError(f"{path}: unknown kind {kind!r}; known kinds: {', '.join(sorted(_KINDS))}")
    # A bundled space is known by its name; a space from a user's YAML file by its absolute path,
    # so that genotypes naming it resolve in any process (Ray workers, export, resume).
    raw["name"] = path.stem if path.parent.resolve() == spaces_dir().resolve() else str(path.resolve())
    settings = _KINDS[kind].settings_cls.from_dict(raw, str(path))
    return _KINDS[kind](settings)


def space_from_settings(settings: dict):
    """A space from an in-memory settings dict (tests, derived spaces)."""
    kind = settings.get("kind")
    if kind not in _KINDS:
        raise SpaceError(f"unknown kind {kind!r}; known kinds: {', '.join(sorted(_KINDS))}")
    return _KINDS[kind](_KINDS[kind].settings_cls.from_dict(dict(settings), "settings"))
