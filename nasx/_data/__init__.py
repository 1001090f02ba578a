"""Data files that ship with nasx (search-space YAMLs, configs, the NAS-Bench-201 table).

In a source checkout or editable install they are read from the repository's top-level folders;
a wheel carries them as sub-packages of this one (see pyproject.toml's package-dir mapping).
"""

from __future__ import annotations

from pathlib import Path

_PKG = Path(__file__).resolve().parent
_REPO = _PKG.parents[1]


def data_dir(name: str) -> Path:
    """Folder holding bundled data `name` ("search_spaces", "configs", "nb201")."""
    for cand in (_PKG / name, _REPO / name):
        if cand.is_dir() and any(p.suffix in {".yaml", ".gz", ".csv"} for p in cand.iterdir()):
            return cand
    return _REPO / name
