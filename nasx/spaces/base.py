"""The search-space base class and the chooser interface every sampler walks.

A space describes an architecture as a fixed sequence of categorical decisions (`decisions()`:
key -> options). Sampling hands each decision to a `Chooser`, so a random draw, an Optuna trial,
an RNN controller, a mutation and an exhaustive enumeration all walk the same code. From that one
structure the base class derives encoding (one-hot per decision), mutation, enumeration and size.
"""

from __future__ import annotations

import itertools
import math
import random
from abc import ABC, abstractmethod
from collections.abc import Hashable, Iterator, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
from torch import nn

from ..errors import GenotypeError, SpaceError
from ..genotype import Genotype, canonical_json


class Chooser(ABC):
    """Makes one categorical decision at a time: `choose(key, options) -> one of options`."""

    @abstractmethod
    def choose(self, key: str, options: Sequence[Hashable]) -> Hashable: ...


class RandomChooser(Chooser):
    def __init__(self, seed: int | random.Random | None = None):
        self.rng = seed if isinstance(seed, random.Random) else random.Random(seed)

    def choose(self, key, options):
        return options[self.rng.randrange(len(options))]


class ReplayChooser(Chooser):
    """Replays fixed choices by key (used to rebuild, mutate and enumerate)."""

    def __init__(self, choices: dict[str, Hashable]):
        self.choices = choices

    def choose(self, key, options):
        value = self.choices[key]
        if value not in options:
            raise GenotypeError(f"decision {key}: {value!r} is not one of {list(options)}")
        return value


class RecordingChooser(Chooser):
    """Wraps another chooser and records (key, options, choice) in order."""

    def __init__(self, inner: Chooser):
        self.inner = inner
        self.log: list[tuple[str, tuple, Hashable]] = []

    def choose(self, key, options):
        c = self.inner.choose(key, options)
        self.log.append((key, tuple(options), c))
        return c


class FirstChooser(Chooser):
    def choose(self, key, options):
        return options[0]


@dataclass
class SpaceSettings:
    """Settings every space YAML may carry; kinds subclass this with their own fields."""

    name: str = ""
    kind: str = ""
    description: str = ""
    seeds: dict = field(default_factory=dict)  # name -> genotype description (classic designs)

    @classmethod
    def from_dict(cls, d: dict, where: str) -> SpaceSettings:
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(set(d) - set(known))
        if unknown:
            raise SpaceError(f"{where}: unknown key(s) {', '.join(unknown)}; "
                             f"allowed: {', '.join(sorted(known))}")
        obj = cls(**d)
        obj.check(where)
        return obj

    def check(self, where: str) -> None:
        pass


def check_ops(ops: Any, where: str) -> None:
    """A space's op list: a non-empty list of registered op names."""
    from ..ops import has_op

    if not isinstance(ops, list) or not ops:
        raise SpaceError(f"{where}: ops must be a non-empty list of op names")
    for op in ops:
        if not isinstance(op, str) or not has_op(op):
            raise SpaceError(f"{where}: unknown op {op!r} in ops")


def positive_int(value: Any, key: str, where: str, low: int = 1, high: int = 10_000) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not (low <= value <= high):
        raise SpaceError(f"{where}: {key} must be an integer in [{low}, {high}], got {value!r}")
    return value


class SearchSpace(ABC):
    """One declared search space: decisions, validation, canonical form, network building."""

    kind: str = ""
    task_kind: str = "image-classification"  # the nasx.tasks kind its networks are trained as
    settings_cls: type[SpaceSettings] = SpaceSettings

    def __init__(self, settings: SpaceSettings):
        self.settings = settings
        self.name = settings.name
        self._decisions: list[tuple[str, tuple]] | None = None

    # ---- the one structure everything derives from
    @abstractmethod
    def _walk(self, chooser: Chooser) -> dict:
        """Make every decision through `chooser`; return the (un-canonical) description."""

    @abstractmethod
    def canonicalize(self, data: dict) -> dict:
        """Validate `data` (raise GenotypeError with a precise message) and return its canonical form."""

    @abstractmethod
    def choices(self, genotype: Genotype) -> dict[str, Hashable]:
        """The decision values (key -> choice) that produce `genotype`."""

    @abstractmethod
    def build(self, genotype: Genotype, num_classes: int = 10, input_size=(3, 32, 32)) -> nn.Module:
        """The trainable network for `genotype`."""

    # ---- derived
    def genotype(self, data: dict) -> Genotype:
        if not isinstance(data, dict):
            raise GenotypeError(f"space {self.name}: a genotype must be a JSON object")
        return Genotype(self.name, canonical_json(self.canonicalize(data)))

    def sample(self, chooser: Chooser | int | None = None) -> Genotype:
        if chooser is None or isinstance(chooser, int):
            chooser = RandomChooser(chooser)
        return self.genotype(self._walk(chooser))

    def decisions(self) -> list[tuple[str, tuple]]:
        if self._decisions is None:
            rec = RecordingChooser(FirstChooser())
            self._walk(rec)
            self._decisions = [(k, o) for k, o, _ in rec.log]
        return self._decisions

    def from_choices(self, choices: dict[str, Hashable]) -> Genotype:
        return self.genotype(self._walk(ReplayChooser(choices)))

    def encode(self, genotype: Genotype) -> np.ndarray:
        """Fixed-length one-hot encoding (concatenated over decisions) for predictors."""
        ch = self.choices(genotype)
        parts = []
        for key, opts in self.decisions():
            v = np.zeros(len(opts), dtype=np.float32)
            if key in ch:  # absent for decisions a smaller genotype does not make (PNAS stages)
                v[opts.index(ch[key])] = 1.0
            parts.append(v)
        return np.concatenate(parts)

    @property
    def encoding_size(self) -> int:
        return sum(len(o) for _, o in self.decisions())

    def mutate(self, genotype: Genotype, rng: random.Random | int | None = None, max_tries: int = 50) -> Genotype:
        """Change one decision to another option; retry until the canonical form differs."""
        rng = rng if isinstance(rng, random.Random) else random.Random(rng)
        base = self.choices(genotype)
        mutable = [(k, o) for k, o in self.decisions() if len(o) > 1]
        for _ in range(max_tries):
            key, opts = rng.choice(mutable)
            ch = dict(base)
            ch[key] = rng.choice([o for o in opts if o != base[key]])
            child = self.from_choices(ch)
            if child.hash != genotype.hash:
                return child
        return child

    def enumerate(self) -> Iterator[Genotype]:
        """Every distinct genotype (de-duplicated by canonical hash)."""
        keys = [k for k, _ in self.decisions()]
        seen: set[str] = set()
        for combo in itertools.product(*[o for _, o in self.decisions()]):
            g = self.from_choices(dict(zip(keys, combo)))
            if g.hash not in seen:
                seen.add(g.hash)
                yield g

    def size(self) -> int:
        """Number of distinct genotypes (spaces with symmetries override this)."""
        return math.prod(len(o) for _, o in self.decisions())

    def to_string(self, genotype: Genotype) -> str:
        """A compact one-line form (`--arch` strings); the JSON spec unless a space has its own."""
        return genotype.spec

    def from_string(self, text: str) -> Genotype:
        import json

        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise GenotypeError(f"space {self.name}: arch is not valid JSON ({exc.msg} at column {exc.colno})") from None
        if isinstance(data, dict) and "space" in data:
            if data["space"] != self.name:
                raise GenotypeError(f"arch is of space {data['space']!r}, not {self.name!r}")
            data = {k: v for k, v in data.items() if k != "space"}
        return self.genotype(data)

    # settings that shape the network but not which genotypes are valid (safe to override per run)
    network_keys: tuple[str, ...] = ()

    def with_network(self, **overrides) -> SearchSpace:
        """The same space (same name, same genotypes) building networks with other widths/depths."""
        if not overrides:
            return self
        bad = sorted(set(overrides) - set(self.network_keys))
        if bad:
            raise SpaceError(f"space {self.name}: network setting(s) {', '.join(bad)} cannot be overridden; "
                             f"allowed: {', '.join(self.network_keys) or 'none'}")
        import dataclasses

        settings = dataclasses.replace(self.settings, **overrides)
        settings.check(f"space {self.name} network overrides")
        return type(self)(settings)

    def seed_names(self) -> list[str]:
        return sorted(self.settings.seeds or {})

    def seed_genotype(self, name: str) -> Genotype:
        """A named classic design expressed in this space (`--seed-arch resnet`), validated."""
        seeds = self.settings.seeds or {}
        if name not in seeds:
            from .published import PUBLISHED, published_genotype

            if name in PUBLISHED:  # a published cell (darts_v2, nasnet_a, ...), if this space can express it
                return published_genotype(name, self)
            raise SpaceError(f"space {self.name} has no seed architecture {name!r}; "
                             f"available: {', '.join(sorted(seeds)) or 'none'}"
                             + (f"; published cells: {', '.join(sorted(PUBLISHED))}" if self.kind == "cells" else ""))
        return self.genotype(dict(seeds[name]))

    def ops(self) -> list[str]:
        return list(getattr(self.settings, "ops", []))

    def is_skip_decision(self, key: str) -> bool:
        """Whether decision `key` switches one skip connection on (1) or off (0); ENAS's controller
        pulls these toward a prior probability (its skip penalty)."""
        return False

    def describe(self) -> dict:
        return {"name": self.name, "kind": self.kind, "description": self.settings.description,
                "ops": self.ops(), "size": self.size(), "decisions": len(self.decisions())}
