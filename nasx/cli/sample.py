"""`nasx sample`: draw a genotype from a space and show its size."""

from __future__ import annotations

import click

from ..measure import summarize
from ..spaces import get_space
from .common import console, echo_json, human


@click.command(help="Sample a genotype from a space and print it with its params and MACs.")
@click.option("--space", "space_name", required=True, help="Space name (see `nasx spaces`) or a YAML path.")
@click.option("--seed", type=int, default=None, help="Random seed (default: random).")
@click.option("--input-size", default=None, help="CxHxW used for MACs (default 3x32x32), or a sequence length for "
              "a recurrent space (default 35).")
@click.option("--network", "network_items", multiple=True, metavar="KEY=VALUE",
              help="Any network setting of the space (e.g. channels=16, hidden=64); repeatable.")
@click.option("--num-classes", type=click.IntRange(1, 100_000), default=10, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object {genotype, arch, hash, params, macs}.")
def command(space_name, seed, input_size, network_items, num_classes, as_json):
    from ..spaces.network_items import parse_network_items
    from .describe import input_spec_for

    space = get_space(space_name).with_network(**parse_network_items(network_items))
    spec = input_spec_for(space, input_size, num_classes)
    g = space.sample(seed)
    stats = summarize(space.build(g, num_classes, spec.shape), spec)
    out = {"genotype": g.to_dict(), "arch": space.to_string(g), "hash": g.hash,
           "params": stats["params"], "macs": stats["macs"], "input_size": stats["input_size"]}
    if as_json:
        echo_json(out)
        return
    console.print(f"[bold]space[/] {space.name}   [bold]hash[/] {g.hash}")
    console.print(g.to_json(indent=1))
    console.print(f"params {human(stats['params'])}   MACs {human(stats['macs'])} at {stats['input_size']}")
