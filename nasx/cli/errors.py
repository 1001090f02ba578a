"""Engine errors as the command line says them: config keys become the flags that set them.

The engine raises `NasxError(message, keys=("gpus_per_trial",))` naming config keys; here each key
in the message is written as the flag of the running command whose parameter it is
(`--gpus-per-trial`). A key the command has no flag for stays a key (it came from a config file).
"""

from __future__ import annotations

import re

import click

from ..errors import NasxError


def option_flags(command: click.Command | None) -> dict[str, str]:
    """Parameter name -> its long flag, for every option of `command`."""
    if command is None:
        return {}
    flags = {}
    for p in command.params:
        if isinstance(p, click.Option) and p.name:
            flag = max(p.opts, key=len)
            flags[flag.lstrip("-").replace("-", "_")] = flag  # `--format` is key "format" ...
            flags[p.name] = flag  # ... and its parameter `formats`
    return flags


def flag_message(exc: NasxError, command: click.Command | None) -> str:
    msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    flags = option_flags(command)
    for key in getattr(exc, "keys", ()):
        if key in flags:
            msg = re.sub(rf"(?<![\w-]){re.escape(key)}(?![\w-])", flags[key], msg)
    return msg
