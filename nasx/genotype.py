"""Genotypes: frozen, validated, canonical descriptions of one architecture of one space.

A `Genotype` holds its space's name and the space-specific description as canonical JSON (sorted
keys, no whitespace). Only a space's `validate` makes one, so every `Genotype` in the engine has
been checked against its space: nothing unvalidated reaches network building or code generation.
The stable hash is over the canonical form, so the same architecture written two ways (e.g. a
cell block's two inputs in either order) hashes the same. Reading one from text or a file is the
spaces' job (`nasx.spaces.read_genotype`), since only a space can validate it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any


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
