"""User-facing errors. Anything raised as `NasxError` is printed by the CLI as one line, exit 2."""

from __future__ import annotations


class NasxError(Exception):
    """Bad input the user can fix: unknown op/space, malformed file, impossible size..."""


class GenotypeError(NasxError):
    """A genotype that does not fit its space (unknown op, dangling input, wrong block count...)."""


class SpaceError(NasxError):
    """An unknown or malformed search-space declaration."""


class ConfigError(NasxError):
    """A malformed or invalid YAML/JSON configuration or an invalid option value."""


class Interrupted(Exception):
    """A search stopped by Ctrl-C / SIGTERM: the CLI prints the message (one line) and exits 130."""
