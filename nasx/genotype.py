"""Genotypes: frozen, validated, canonical descriptions of one architecture of one space.

A `Genotype` holds its space's name and the space-specific description as canonical JSON (sorted
keys, no whitespace). Only a space's `validate` makes one, so every `Genotype` in the engine has
been checked against its space: nothing unvalidated reaches network building or code generation.
The stable hash is over the canonical form, so the same architecture written two ways (e.g. a
cell block's two inputs in either order) hashes the same.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import GenotypeError


def canonical_json(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"))


@dataclass(frozen=True)
class Genotype:
    space: str
    spec: str  # canonical JSON of the space-specific description

    @property
    def data(self) -> dict:
        return json.loads(self.spec)

    @property
    def hash(self) -> str:
        return hashlib.sha256(f"{self.space}:{self.spec}".encode()).hexdigest()[:16]

    def to_dict(self) -> dict:
        return {"space": self.space, **self.data}

    def to_json(self, indent: int | None = None) -> str:
        return json.dumps(self.to_dict(), indent=indent, sort_keys=indent is None)

    def __str__(self) -> str:
        return self.to_json()


def parse_genotype_obj(obj: Any, space: str | None = None) -> Genotype:
    """Validate a parsed JSON object into a Genotype of its (or the given) space.

    Accepts a bare genotype (`{"space": ..., ...}`) and what `nasx sample --json` prints
    (`{"genotype": {...}, "params": ...}`).
    """
    from .spaces import get_space  # spaces import genotype; resolve lazily

    if isinstance(obj, dict) and isinstance(obj.get("genotype"), dict):
        obj = obj["genotype"]
    if not isinstance(obj, dict):
        raise GenotypeError("a genotype must be a JSON object with a 'space' key")
    name = obj.get("space", space)
    if space is not None and name != space:
        raise GenotypeError(f"genotype is of space {name!r}, not {space!r}")
    if not isinstance(name, str):
        raise GenotypeError("genotype has no 'space' key (or pass the space explicitly)")
    sp = get_space(name)
    data = {k: v for k, v in obj.items() if k != "space"}
    return sp.genotype(data)


def load_genotype(source: str | Path | dict, space: str | None = None) -> Genotype:
    """A genotype from a dict, a JSON string, or a JSON file path; precise error otherwise."""
    if isinstance(source, dict):
        return parse_genotype_obj(source, space)
    text = str(source)
    p = Path(text)
    if not text.lstrip().startswith("{"):
        if not p.exists():
            raise GenotypeError(f"genotype file {text} does not exist")
        if p.is_dir():
            raise GenotypeError(f"genotype path {text} is a folder, not a JSON file")
        text = p.read_text(encoding="utf-8", errors="replace")
        where = str(p)
    else:
        where = "genotype JSON"
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise GenotypeError(f"{where}: malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    return parse_genotype_obj(obj, space)
