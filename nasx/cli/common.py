"""Helpers shared by CLI commands: rich console, number formatting, JSON output."""

from __future__ import annotations

import json
import sys

import click
from rich.console import Console

# Off a terminal (logs, CI, pipes) rich would wrap tables at 80 columns; give them room instead.
console = Console(highlight=False, width=None if sys.stdout.isatty() else 160)
err_console = Console(stderr=True, highlight=False)


def human(n: float | None, unit: str = "") -> str:
    if n is None:
        return "-"
    for div, suffix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "K")):
        if abs(n) >= div:
            return f"{n / div:.2f}{suffix}{unit}"
    return f"{n:g}{unit}"


def echo_json(obj) -> None:
    click.echo(json.dumps(obj, default=str))


def is_tty() -> bool:
    return sys.stdout.isatty()
