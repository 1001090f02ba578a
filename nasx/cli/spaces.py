"""`nasx spaces`: the declared search spaces, their ops and sizes."""

from __future__ import annotations

import click
from rich.table import Table

from ..spaces import get_space, space_names
from .common import console, echo_json


@click.command(help="List the search spaces with their op lists and sizes (distinct genotypes).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON list instead of a table.")
def command(as_json: bool):
    rows = [get_space(n).describe() for n in space_names()]
    if as_json:
        echo_json(rows)
        return
    t = Table(title="nasx search spaces")
    for col in ("name", "kind", "size", "ops", "description"):
        t.add_column(col, overflow="fold")
    for r in rows:
        size = f"{r['size']:.3e}" if r["size"] > 1e6 else str(r["size"])
        t.add_row(r["name"], r["kind"], size, ", ".join(r["ops"]), r["description"])
    console.print(t)
