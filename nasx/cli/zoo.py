"""`nasx zoo`: the classic CNNs of `nasx.zoo` with params, MACs and published errors.

Params and MACs are computed, never copied: models are built on the meta device (no memory, no
initialisation) and counted at their paper's input size (or `--input-size`). Where the seed's
"Summary of Popular CNN Models" table disagrees -- its CIFAR ResNet rows carry ImageNet-scale GOP
figures, while resnet20-1202 at 32x32 cost 41 M-2.8 G MACs -- the computed figure stands.
"""

from __future__ import annotations

import json

import click

from ..errors import NasxError
from ..measure import parse_input_size


def _human(n) -> str:
    if n is None:
        return "-"
    for div, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "K")):
        if n >= div:
            return f"{n / div:.2f}{suffix}"
    return str(n)


def _err(v) -> str:
    return "-" if v is None else f"{v:.2f}"


def _rows(family, input_size):
    from ..zoo import get_spec, list_models, model_stats

    rows = []
    for name in list_models(family):
        spec = get_spec(name)
        size = None if input_size is None else parse_input_size(input_size)
        try:
            stats = model_stats(name, size)
        except NasxError as exc:
            raise NasxError(f"{name}: {exc}") from None
        rows.append({"name": name, "family": spec.family, "year": spec.year, "params": stats["params"],
                     "macs": stats["macs"], "input_size": stats["input_size"], "dataset": spec.dataset,
                     "top1_err": spec.top1_err, "top5_err": spec.top5_err})
    return rows


def _plot(rows, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    pts = [r for r in rows if r["dataset"] == "imagenet" and r["top1_err"] is not None]
    if not pts:
        raise NasxError("no ImageNet model with a published top-1 error in this selection to plot")
    fig, ax = plt.subplots(figsize=(11, 7))
    families = sorted({r["family"] for r in pts})
    cmap = plt.get_cmap("tab20")
    for i, fam in enumerate(families):
        sel = [r for r in pts if r["family"] == fam]
        ax.scatter([r["macs"] / 1e9 for r in sel], [100 - r["top1_err"] for r in sel],
                   s=[max(8.0, r["params"] / 2e5) for r in sel], alpha=0.55, color=cmap(i), label=fam)
        for r in sel:
            ax.annotate(r["name"], (r["macs"] / 1e9, 100 - r["top1_err"]), fontsize=6, alpha=0.8)
    ax.set_xscale("log")
    ax.set_xlabel("MACs per image (G, log scale, at the paper's input size)")
    ax.set_ylabel("published ImageNet top-1 accuracy (%)")
    ax.set_title("nasx zoo: accuracy vs compute (bubble area ~ parameters)")
    ax.legend(fontsize=7, markerscale=0.5)
    ax.grid(True, alpha=0.3)
    fig.tight_layout()
    try:
        fig.savefig(path, dpi=120)
    except OSError as exc:
        raise NasxError(f"cannot write plot {path}: {exc.strerror or exc}") from None
    finally:
        plt.close(fig)


@click.command(help="List the model zoo: params, MACs at the paper's input size, published errors.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON list instead of a table.")
@click.option("--family", default=None, help="Only this family (e.g. resnet, vgg, mobilenet).")
@click.option("--input-size", default=None, help="Count at CxHxW instead of each paper's size, e.g. 3x32x32.")
@click.option("--plot", "plot_path", default=None, type=click.Path(dir_okay=False),
              help="Write accuracy vs MACs (bubble = params, ImageNet models only) to this PNG.")
def command(as_json, family, input_size, plot_path):
    rows = _rows(family, input_size)
    if plot_path:
        _plot(rows, plot_path)
    if as_json:
        keys = ("name", "params", "macs", "input_size", "top1_err", "top5_err")
        click.echo(json.dumps([{k: r[k] for k in keys} for r in rows]))
        return
    from rich.console import Console
    from rich.table import Table

    t = Table(title="nasx model zoo (errors in %, as published; '-' = unpublished)")
    for col, just in (("name", "left"), ("family", "left"), ("year", "right"), ("input", "right"),
                      ("params", "right"), ("MACs", "right"), ("top-1 err", "right"), ("top-5 err", "right"),
                      ("data", "left")):
        t.add_column(col, justify=just)
    for r in rows:
        t.add_row(r["name"], r["family"], str(r["year"]), r["input_size"], _human(r["params"]), _human(r["macs"]),
                  _err(r["top1_err"]), _err(r["top5_err"]), r["dataset"])
    console = Console(highlight=False)
    if not console.is_terminal:
        console.width = max(console.width, 150)  # piped output: don't squeeze names into ellipses
    console.print(t)
