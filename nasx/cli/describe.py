"""`nasx describe`: params and MACs of given architectures, optionally layer by layer."""

from __future__ import annotations

import click
from rich.table import Table

from ..errors import NasxError
from ..measure import layer_table, parse_input_size, rows_as_dicts, summarize
from ..spaces import get_space
from ..spaces.cell_network import SKELETONS
from .common import console, echo_json, human


@click.command(help="Params and MACs of architectures of a space (--arch may repeat).")
@click.option("--space", "space_name", default=None, help="Space name or YAML path (default: the genotype's).")
@click.option("--arch", "archs", multiple=True, help="Architecture string (NB201 cell string or genotype JSON).")
@click.option("--genotype", "genotype_file", default=None,
              help="Genotype JSON file, or a published cell by name (darts_v2, nasnet_a, pnasnet5, ...).")
@click.option("--input-size", default="3x32x32", show_default=True, help="CxHxW.")
@click.option("--num-classes", type=click.IntRange(1, 100_000), default=10, show_default=True)
@click.option("--channels", type=click.IntRange(1, 4096), default=None, help="Network width C (cell spaces).")
@click.option("--cells", type=click.IntRange(1, 1000), default=None,
              help="Total cells L incl. reductions (DARTS --layers; cell spaces).")
@click.option("--skeleton", type=click.Choice(SKELETONS), default=None, help="Network skeleton (cell spaces).")
@click.option("--layers", is_flag=True, help="Per-layer table: output shape, activations, memory, params, MACs.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per architecture, one per line.")
def command(space_name, archs, genotype_file, input_size, num_classes, channels, cells, skeleton, layers, as_json):
    from ..spaces import read_genotype

    size = parse_input_size(input_size)
    if not archs and not genotype_file:
        raise NasxError("describe needs --arch STRING or --genotype FILE|NAME")
    from_file = read_genotype(genotype_file, space_name) if genotype_file else None
    if space_name is None and from_file is None:
        raise NasxError("--arch needs --space NAME")
    space = get_space(space_name or from_file.space)
    network = {k: v for k, v in (("channels", channels), ("cells", cells), ("skeleton", skeleton)) if v is not None}
    if network:
        space = space.with_network(**network)
    genotypes = [space.from_string(a) for a in archs] + ([from_file] if from_file else [])
    for g in genotypes:
        model = space.build(g, num_classes, size)
        stats = summarize(model, size)
        rec = {"arch": space.to_string(g), "hash": g.hash, "params": stats["params"], "macs": stats["macs"],
               "flops": stats["flops"], "input_size": stats["input_size"], "space": space.name, "network": network}
        rows = layer_table(model, size) if layers else None
        if as_json:
            if rows is not None:
                rec["layers"] = rows_as_dicts(rows)
            echo_json(rec)
            continue
        console.print(f"[bold]{rec['arch']}[/]")
        console.print(f"  params {human(rec['params'])} ({rec['params']:,})   MACs {human(rec['macs'])} "
                      f"({rec['macs']:,}) at {rec['input_size']}")
        if rows is not None:
            t = Table()
            for col in ("layer", "kind", "output", "activations", "memory", "params", "MACs"):
                t.add_column(col, justify="left" if col in ("layer", "kind", "output") else "right")
            for r in rows:
                t.add_row(r.name, r.kind, "x".join(map(str, r.output_shape)), f"{r.activations:,}",
                          human(r.activation_bytes, "B"), f"{r.params:,}", human(r.macs))
            console.print(t)
