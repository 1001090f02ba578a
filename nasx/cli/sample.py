"""`nasx sample`: draw a genotype from a space and show its size."""

from __future__ import annotations

import click

from ..measure import parse_input_size, summarize
from ..spaces import get_space
from .common import console, echo_json, human


@click.command(help="Sample a genotype from a space and print it with its params and MACs.")
@click.option("--space", "space_name", required=True, help="Space name (see `nasx spaces`) or a YAML path.")
@click.option("--seed", type=int, default=None, help="Random seed (default: random).")
@click.option("--input-size", default="3x32x32", show_default=True, help="CxHxW used for MACs.")
@click.option("--num-classes", type=click.IntRange(1, 100_000), default=10, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object {genotype, arch, hash, params, macs}.")
def command(space_name, seed, input_size, num_classes, as_json):
    space = get_space(space_name)
    size = parse_input_size(input_size)
    g = space.sample(seed)
    stats = summarize(space.build(g, num_classes, size), size)
    out = {"genotype": g.to_dict(), "arch": space.to_string(g), "hash": g.hash,
           "params": stats["params"], "macs": stats["macs"], "input_size": stats["input_size"]}
    if as_json:
        echo_json(out)
        return
    console.print(f"[bold]space[/] {space.name}   [bold]hash[/] {g.hash}")
    console.print(g.to_json(indent=1))
    console.print(f"params {human(stats['params'])}   MACs {human(stats['macs'])} at {stats['input_size']}")
