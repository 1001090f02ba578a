"""`nasx export`: a found architecture (run trial, genotype file or zoo model) as plain PyTorch.

Writes DIR/model.py (imports only torch), weights.pt when there are trained weights, genotype.json,
metrics.json, and on request model.pt2 / model.onnx; checks model.py in a fresh interpreter
against the engine before DIR appears (see nasx.export.writer).
"""

from __future__ import annotations

import click

from ..errors import NasxError
from ..measure import parse_input_size
from ..spaces.cell_network import SKELETONS
from .common import console, human


def _source(run_dir, rank, trial, genotype, space, zoo, num_classes, input_size, weights, network=None):
    from ..export import from_genotype, from_run, from_zoo
    from ..export.sources import from_training
    from ..training.folder import is_training_folder

    given = [n for n, v in (("RUN_DIR", run_dir), ("--genotype", genotype), ("--zoo", zoo)) if v]
    if len(given) != 1:
        raise NasxError("give exactly one of RUN_DIR, --genotype FILE or --zoo NAME"
                        + (f" (got {', '.join(given)})" if given else ""))
    if (rank is not None or trial is not None) and not run_dir:
        raise NasxError("--rank/--trial select a trial of RUN_DIR; they need a run directory")
    if rank is not None and trial is not None:
        raise NasxError("give --rank or --trial, not both")
    if space and not genotype:
        raise NasxError("--space goes with --genotype")
    if weights and run_dir:
        raise NasxError("--weights goes with --genotype or --zoo (a run's trial brings its own weights)")
    if network and not genotype:
        raise NasxError("--network/--channels/--cells/--skeleton go with --genotype (a run or a zoo model has its "
                        "own)")
    size = parse_input_size(input_size) if input_size else None
    if run_dir and is_training_folder(run_dir):
        if rank is not None or trial is not None:
            raise NasxError(f"{run_dir} is a `nasx train` folder (one model): --rank/--trial do not apply")
        return from_training(run_dir, num_classes=num_classes, input_size=size)
    if run_dir:
        return from_run(run_dir, rank=rank, trial=trial, num_classes=num_classes, input_size=size)
    if genotype:
        return from_genotype(genotype, space, num_classes=num_classes, input_size=size, weights=weights,
                             network=network or None)
    return from_zoo(zoo, num_classes=num_classes, input_size=size, weights=weights)


def _formats(_ctx, _param, values) -> tuple[str, ...]:
    from ..export.formats import FORMATS

    names = [n.strip().lower() for v in values for n in v.split(",") if n.strip()]
    bad = [n for n in names if n not in FORMATS]
    if bad:
        raise click.BadParameter(f"unknown format {bad[0]!r}; choose from {', '.join(FORMATS)} (e.g. --format pt2,onnx)")
    return tuple(dict.fromkeys(names))


@click.command("export")
@click.argument("run_dir", required=False, type=click.Path(file_okay=False))
@click.option("--rank", type=click.IntRange(1, None), default=None, help="Export the N-th best trial (default 1).")
@click.option("--trial", default=None, help="Export this trial id instead of a rank.")
@click.option("--genotype", default=None,
              help="Genotype JSON file (bare, or `nasx sample --json` output), or a published cell by name.")
@click.option("--channels", type=click.IntRange(1, 4096), default=None, help="Network width C (cell spaces, --genotype).")
@click.option("--cells", type=click.IntRange(1, 1000), default=None, help="Total cells L (cell spaces, --genotype).")
@click.option("--skeleton", type=click.Choice(SKELETONS), default=None,
              help="Network skeleton (cell spaces, --genotype).")
@click.option("--network", "network_items", multiple=True, metavar="KEY=VALUE",
              help="Any network setting of the space for --genotype (e.g. hidden=850); repeatable.")
@click.option("--space", default=None, help="Space of --genotype (when the file does not name it).")
@click.option("--zoo", default=None, help="Export a zoo model by name (see `nasx zoo`).")
@click.option("--num-classes", type=click.IntRange(1, 100_000), default=None,
              help="Classes (default: from the weights, else 10; zoo: the paper's).")
@click.option("--input-size", default=None, help="CxHxW (default: from the weights/run, else 3x32x32; zoo: paper's).")
@click.option("--weights", type=click.Path(dir_okay=False), default=None,
              help="state_dict to ship as weights.pt (--genotype/--zoo); must load strictly.")
@click.option("--format", "formats", multiple=True, callback=_formats, metavar="pt2,onnx",
              help="Also write model.pt2 (torch.export) and/or model.onnx (opset 18), any batch size; "
                   "comma-separated or repeated.")
@click.option("--check/--no-check", default=True, show_default=True,
              help="Run model.py in a fresh `python -I` and compare with the engine (max abs diff <= 1e-5).")
@click.option("--force", is_flag=True, help="Replace a non-empty --out folder.")
@click.option("--out", "out", required=True, type=click.Path(), help="Export folder to create.")
def command(run_dir, rank, trial, genotype, channels, cells, skeleton, network_items, space, zoo, num_classes, input_size, weights,
            formats, check, force, out):
    """Export RUN_DIR's best (or --rank/--trial) trial, a `nasx train` folder, a --genotype file or a
    --zoo model to --out."""
    from ..export import write_export
    from ..spaces.network_items import parse_network_items

    network = {**parse_network_items(network_items),
               **{k: v for k, v in (("channels", channels), ("cells", cells), ("skeleton", skeleton)) if v is not None}}
    ex = _source(run_dir, rank, trial, genotype, space, zoo, num_classes, input_size, weights, network)
    report = write_export(ex, out, formats=tuple(formats), check=check, force=force)
    from ..inputs import InputSpec

    spec = InputSpec.of(ex.input_size)
    console.print(f"exported [bold]{report.class_name}[/] ({ex.source}) to {report.out}: {', '.join(report.files)}")
    console.print(f"params {human(ex.params)} ({ex.params:,})   MACs {human(ex.macs)} at {spec.text()}   "
                  + (f"vocabulary {ex.num_classes}" if spec.tokens else f"classes {ex.num_classes}"))
    if report.weights:
        console.print("weights: weights.pt (trained state_dict; torch.load(..., weights_only=True))")
    else:
        why = "the trial kept no weights" if ex.source_info.get("kind") == "run" else "no --weights given"
        console.print(f"weights: none ({why}); metrics.json has \"weights\": null")
    if report.check_diff is not None:
        console.print(f"round-trip check: max abs diff {report.check_diff:.3g} (model.py in a fresh python -I)")
    else:
        console.print("round-trip check: skipped (--no-check)")
    for name, diff in report.format_diffs.items():
        acc = report.format_inputs[name]
        if "length" in acc:  # a language model: token sequences
            hw = "any length" if acc["length"] == "dynamic" else f"length {acc['length'][0]}"
        else:
            hw = "any height x width" if acc["height_width"] == "dynamic" else "x".join(map(str, acc["height_width"]))
        console.print(f"{name}: {acc['file']} takes any batch size, {hw}; max abs diff {diff:.3g} against the "
                      f"engine at batches {', '.join(map(str, acc['checked_batches']))}")
    return 0
