"""`nasx visualize`: Zeiler & Fergus (2013) visualization of a trained model's feature maps.

MODEL_OR_RUN is `zoo:NAME` (trained first on --data for --epochs), an export folder or a run
directory; a run, a training or an export of one is searched on the validation split it was trained
with (nasx.run_task). For the chosen --layer, the top validation images of each chosen map are
projected back to pixel space by a deconvnet, or by guided backprop where the path has no exact
inverse (said on stdout and in DIR/README.txt + DIR/visualize.json).
"""

from __future__ import annotations

import click

from .common import console, err_console


def _channels(text: str | None) -> list[int] | None:
    """`--channels 0,2,5` as a list of map indices (the engine checks them against the layer)."""
    if not text:
        return None
    try:
        return [int(c) for c in text.split(",") if c.strip()] or None
    except ValueError:
        raise click.BadParameter(f"comma-separated integers, got {text!r}") from None


@click.command("visualize")
@click.argument("model_or_run")
@click.option("--data", default=None,
              help="Data spec whose validation split is searched: digits, fashion-mnist... (needed for zoo:NAME; a "
                   "run, a training or an export of one brings its own data and splits).")
@click.option("--layer", required=True, help="Module name (as in named_modules(), e.g. features.3).")
@click.option("--top", type=click.IntRange(1, 64), default=9, show_default=True, help="Images per feature map.")
@click.option("--channels", default=None, callback=lambda ctx, param, text: _channels(text),
              help="Feature maps, comma-separated (default: the first 8).")
@click.option("--epochs", type=click.IntRange(1, 10_000), default=3, show_default=True,
              help="Training epochs of a zoo model.")
@click.option("--max-images", type=click.IntRange(1, None), default=None, help="Scan only this many val images.")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True)
@click.option("--seed", type=int, default=0, show_default=True,
              help="Validation split seed of --data when MODEL_OR_RUN records no splits.")
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Output folder for the PNGs.")
def command(model_or_run, data, layer, top, channels, epochs, max_images, device, seed, out):
    """Project the top activations of --layer's feature maps of MODEL_OR_RUN back to pixels."""
    from ..compress.source import load_model_or_run
    from ..run_task import reader_dataset
    from ..visualize import find_layer, visualize

    dataset, _ = reader_dataset(model_or_run, data, seed, note=lambda m: err_console.print(
        f"visualize: {m}", soft_wrap=True, highlight=False))
    loaded = load_model_or_run(model_or_run, dataset, epochs, device=device, log=lambda m: err_console.print(m),
                     precheck=lambda model: find_layer(model, layer))
    x = dataset.x_val[:max_images] if max_images else dataset.x_val
    vis = visualize(loaded.model.cpu().eval(), x, layer, out, top=top, channels=channels)
    console.print(vis.summary())
    console.print(f"wrote {out}: {', '.join(vis.files)}, README.txt, visualize.json")
    return 0
