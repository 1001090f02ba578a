"""`--network KEY=VALUE` items, one parser for every command that builds a network.

Values read as YAML reads a plain scalar (true/false, an integer, a float, else text); which keys a
space takes and which values are valid is the space's to say (`SearchSpace.with_network`).
"""

from __future__ import annotations

from ..errors import NasxError


def network_value(text: str):
    low = text.lower()
    if low in ("true", "false"):
        return low == "true"
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return text


def parse_network_items(items) -> dict:
    """('hidden=64', 'tied=false') -> {'hidden': 64, 'tied': False}; a malformed or repeated item is one line."""
    out: dict = {}
    for item in items or ():
        key, sep, value = str(item).partition("=")
        key = key.strip()
        if not sep or not key or not value.strip():
            raise NasxError(f"--network takes KEY=VALUE (e.g. --network channels=16), got {item!r}")
        if key in out:
            raise NasxError(f"--network {key} is given twice")
        out[key] = network_value(value.strip())
    return out
