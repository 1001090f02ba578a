"""Validation and settings shared by the family spaces (resnet, inception, mobile).

Their genotypes are small JSON objects of named fields whose values come from fixed option lists,
so one precise checker serves all three: it names the space, the field (with list indices) and the
allowed values. `FamilySettings` carries the one network setting they share, `width_scale`, which
multiplies every channel count so tests and CPU runs can build a small-image variant of any genotype.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import GenotypeError, SpaceError
from .base import SpaceSettings


@dataclass
class FamilySettings(SpaceSettings):
    width_scale: float = 1.0  # multiplies every channel count (1.0 = the papers' widths)

    def check(self, where):
        v = self.width_scale
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not (0 < v <= 4):
            raise SpaceError(f"{where}: width_scale must be a number in (0, 4], got {v!r}")

    def scaled(self, channels: float) -> int:
        return scale_channels(channels, self.width_scale)


def scale_channels(channels: float, scale: float) -> int:
    return max(1, round(channels * scale))


def check_keys(data: dict, keys: Sequence[str], where: str) -> None:
    if not isinstance(data, dict):
        raise GenotypeError(f"{where}: expected a JSON object with keys {list(keys)}, got {data!r}")
    missing, unknown = sorted(set(keys) - set(data)), sorted(set(data) - set(keys))
    if missing or unknown:
        parts = ([f"missing {', '.join(missing)}"] if missing else []) + \
                ([f"unknown {', '.join(unknown)}"] if unknown else [])
        raise GenotypeError(f"{where}: {'; '.join(parts)} (keys are {', '.join(keys)})")


def check_option(value: Any, options: Sequence, where: str) -> Any:
    """`value` if it is one of `options` (bools never pass for ints, 1 never for "1")."""
    if not any(type(value) is type(o) and value == o for o in options) and not (
            isinstance(value, int) and not isinstance(value, bool) and any(
                isinstance(o, float) and value == o for o in options)):
        raise GenotypeError(f"{where} = {value!r} is not one of {list(options)}")
    return type(next(o for o in options if o == value))(value)


def check_list(value: Any, length: int | Sequence[int], where: str) -> list:
    lengths = [length] if isinstance(length, int) else list(length)
    if not isinstance(value, list) or len(value) not in lengths:
        n = f"{len(value)} entries" if isinstance(value, list) else type(value).__name__
        want = " or ".join(map(str, lengths))
        raise GenotypeError(f"{where} must be a list of {want} entries, got {n}")
    return value
