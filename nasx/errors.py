"""User-facing errors. Anything raised as `NasxError` is printed by the CLI as one line, exit 2.

The engine names settings by their config keys (`budget`, `gpus_per_trial`), never by command-line
flags: an error that is about settings lists them in `keys`, and the CLI writes each key in the
message as the flag that sets it (`--budget`, `--gpus-per-trial`) when it prints the error.
"""

from __future__ import annotations


class NasxError(Exception):
    """Bad input the user can fix: unknown op/space, malformed file, impossible size..."""

    def __init__(self, message: str = "", *, keys: tuple[str, ...] = ()):
        super().__init__(message)
        self.keys = tuple(keys)


class GenotypeError(NasxError):
    """A genotype that does not fit its space (unknown op, dangling input, wrong block count...)."""


class SpaceError(NasxError):
    """An unknown or malformed search-space declaration."""


class ConfigError(NasxError):
    """A malformed or invalid YAML/JSON configuration or an invalid option value."""


class Interrupted(Exception):
    """A search or training stopped by Ctrl-C / SIGTERM: the CLI prints one line and exits 130.

    `run_dir`: the resumable search run; the CLI adds the command that continues it."""

    def __init__(self, message: str, *, run_dir: str | None = None, command: str = "resume"):
        super().__init__(message)
        self.run_dir, self.command = run_dir, command  # `nasx <command> <run_dir>` continues it
