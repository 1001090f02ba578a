"""`nasx describe`: params and MACs of given architectures, optionally layer by layer.

The example input is the one the space's task kind feeds its networks (`TaskKind.input_spec`): a
C x H x W float image for image classifiers, `--input-size` token ids below the vocabulary
(`--num-classes`) for a language model's recurrent cell (default 35, DARTS's BPTT length).
"""

from __future__ import annotations

import click
from rich.table import Table

from ..errors import NasxError
from ..measure import layer_table, parse_input_size, rows_as_dicts, summarize
from ..spaces import get_space
from ..spaces.cell_network import SKELETONS
from ..spaces.network_items import parse_network_items
from .common import console, echo_json, human


def input_spec_for(space, text: str | None, num_classes: int):
    """The example input of `space`'s networks (an InputSpec), from `--input-size` (None: the kind's default)."""
    from ..tasks import get_task_kind

    kind = get_task_kind(space.task_kind)
    default = kind.input_spec({"num_classes": max(int(num_classes), 2)})
    if not default.tokens:
        size = parse_input_size(text if text is not None else "x".join(map(str, default.shape)))
        return kind.input_spec({"num_classes": num_classes, "input_size": list(size)})
    length = default.shape[0]
    if text is not None:
        try:
            length = int(str(text).strip())
        except ValueError:
            raise NasxError(f"input size {text!r}: the networks of space {space.name} take token ids; give a "
                            f"sequence length, e.g. --input-size {default.shape[0]}") from None
    return kind.input_spec({"num_classes": num_classes, "input_size": [length]})


@click.command(help="Params and MACs of architectures of a space (--arch may repeat).")
@click.option("--space", "space_name", default=None, help="Space name or YAML path (default: the genotype's).")
@click.option("--arch", "archs", multiple=True, help="Architecture string (NB201 cell string or genotype JSON).")
@click.option("--genotype", "genotype_file", default=None,
              help="Genotype JSON file, or a published cell by name (darts_v2, nasnet_a, pnasnet5, darts_v2_rnn, "
                   "enas_rnn, ...).")
@click.option("--input-size", default=None,
              help="One sample: CxHxW for image networks (default 3x32x32), a sequence length for token models "
                   "(default 35).")
@click.option("--num-classes", type=click.IntRange(1, 100_000), default=10, show_default=True,
              help="Classes, or a language model's vocabulary size.")
@click.option("--channels", type=click.IntRange(1, 4096), default=None, help="Network width C (cell spaces).")
@click.option("--cells", type=click.IntRange(1, 1000), default=None,
              help="Total cells L incl. reductions (DARTS --layers; cell spaces).")
@click.option("--skeleton", type=click.Choice(SKELETONS), default=None, help="Network skeleton (cell spaces).")
@click.option("--network", "network_items", multiple=True, metavar="KEY=VALUE",
              help="Network setting of the space (e.g. channels=16, embedding=850, tied=false). Repeatable.")
@click.option("--layers", is_flag=True, help="Per-layer table: output shape, activations, memory, params, MACs.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per architecture, one per line.")
def command(space_name, archs, genotype_file, input_size, num_classes, channels, cells, skeleton, network_items,
            layers, as_json):
    from ..spaces import read_genotype

    if not archs and not genotype_file:
        raise NasxError("describe needs --arch STRING or --genotype FILE|NAME")
    network = {k: v for k, v in (("channels", channels), ("cells", cells), ("skeleton", skeleton)) if v is not None}
    for key, value in parse_network_items(network_items).items():
        if key in network and network[key] != value:
            raise NasxError(f"--network {key}={value} contradicts --{key} {network[key]}")
        network[key] = value
    from_file = read_genotype(genotype_file, space_name) if genotype_file else None
    if space_name is None and from_file is None:
        raise NasxError("--arch needs --space NAME")
    space = get_space(space_name or from_file.space)
    if network:
        space = space.with_network(**network)
    spec = input_spec_for(space, input_size, num_classes)
    genotypes = [space.from_string(a) for a in archs] + ([from_file] if from_file else [])
    for g in genotypes:
        model = space.build(g, num_classes, tuple(spec.shape))
        stats = summarize(model, spec)
        rec = {"arch": space.to_string(g), "hash": g.hash, "params": stats["params"], "macs": stats["macs"],
               "flops": stats["flops"], "input_size": stats["input_size"], "space": space.name, "network": network}
        rows = layer_table(model, spec) if layers else None
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
            listed = sum(r.macs for r in rows), sum(r.params for r in rows)
            if listed != (rec["macs"], rec["params"]):  # e.g. a recurrent cell's own weights, no leaf module
                console.print(f"  the rows hold {human(listed[0])} of the {human(rec['macs'])} MACs and "
                              f"{listed[1]:,} of the {rec['params']:,} params: the rest is computed outside "
                              "leaf modules (e.g. a recurrent cell's own weight matrices)")
