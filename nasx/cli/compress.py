"""`nasx compress`: Deep Compression (Han et al. 2016) of a trained model: prune, share, Huffman-code.

MODEL_OR_RUN is `zoo:NAME` (or --zoo NAME; trained first on --data for --epochs), an export folder
or a run directory; a run, a training or an export of one is fine-tuned and evaluated on the data
and splits it was trained with (nasx.run_task: --data may be left out; another data is refused). By
default each layer gets its own pruning rate from its sensitivity, conv layers 8-bit and fully
connected layers 5-bit codebooks (the paper's), and fine-tuning continues until the validation
accuracy is within --max-drop of the uncompressed model's (exit 1, files written, when
--max-extra-epochs runs out first). Writes DIR/model.nasxc (the compact file), DIR/weights.pt (the
decompressed state_dict), DIR/compress.json (the figures, and the splits used) and, with --export,
DIR/export/ (model.py + weights).
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from ..errors import NasxError
from .common import console, echo_json, err_console


def _table(result):
    from rich.table import Table

    t = Table(title="Deep Compression, per layer (conv/linear weights)")
    for col in ("layer", "type", "params", "kept", "sparsity", "q", "bits", "index bits", "before", "after",
                "ratio"):
        t.add_column(col, justify="left" if col in ("layer", "type") else "right")
    for r in result.layers:
        t.add_row(r.name, r.kind, f"{r.params:,}", f"{r.kept:,}", f"{100 * r.sparsity:.1f}%",
                  "-" if r.quality is None else f"{r.quality:.2f}", str(r.bits),
                  str(r.index_bits), f"{r.size_before_bytes:,}", f"{r.size_after_bytes:,}",
                  f"{r.size_before_bytes / max(1, r.size_after_bytes):.1f}x")
    d = result.to_dict()
    t.add_row("conv/linear weights", "", "", "", f"{100 * result.sparsity:.1f}%", "", "", "",
              f"{result.weights_before_bytes:,}", f"{result.weights_after_bytes:,}", f"{d['weights_ratio']:.1f}x")
    t.add_row("whole model (file)", "", "", "", "", "", "", "", f"{result.size_before_bytes:,}",
              f"{result.size_after_bytes:,}", f"{result.ratio:.1f}x")
    return t


@click.command("compress")
@click.argument("model_or_run", required=False)
@click.option("--zoo", default=None, help="Compress this zoo model, trained first on --data (= zoo:NAME).")
@click.option("--data", default=None,
              help="Data spec for fine-tuning and accuracy: digits, fashion-mnist, ... (needed for zoo:NAME; a run, "
                   "a training or an export of one brings its own data and splits).")
@click.option("--epochs", type=click.IntRange(1, 10_000), default=5, show_default=True,
              help="Training epochs of a zoo model before compression.")
@click.option("--sparsity", type=float, default=0.9, show_default=True, help="Fraction of conv/linear weights pruned.")
@click.option("--bits", type=int, default=None, help="Sets --bits-conv and --bits-fc both.")
@click.option("--bits-conv", type=int, default=8, show_default=True, help="2^bits shared values per conv layer.")
@click.option("--bits-fc", type=int, default=5, show_default=True,
              help="2^bits shared values per fully connected layer.")
@click.option("--per-layer", "mode", flag_value="per-layer", default=True,
              help="[default] Each layer's rate from its sensitivity (threshold = q x the layer's weight std).")
@click.option("--global", "mode", flag_value="global", help="Prune by one global magnitude threshold.")
@click.option("--layerwise", "mode", flag_value="layerwise", help="Prune the same fraction in every layer.")
@click.option("--max-drop", type=float, default=0.01, show_default=True,
              help="Largest tolerated loss of validation accuracy (a fraction: 0.01 = 1 point).")
@click.option("--max-extra-epochs", type=int, default=20, show_default=True,
              help="Cap on the extra fine-tuning epochs spent recovering accuracy to within --max-drop.")
@click.option("--steps", type=int, default=3, show_default=True, help="Iterative pruning rounds.")
@click.option("--finetune-epochs", type=int, default=2, show_default=True,
              help="Fine-tuning epochs after each pruning round and for the centroids.")
@click.option("--lr", type=float, default=0.05, show_default=True, help="Fine-tuning learning rate.")
@click.option("--huffman/--no-huffman", default=True, show_default=True, help="Huffman-code the streams.")
@click.option("--index-bits", type=int, default=None, help="Relative-index width (default: best per layer).")
@click.option("--export/--no-export", "export", default=True, show_default=True,
              help="Also write DIR/export/ (model.py + decompressed weights) through nasx.export.")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True)
@click.option("--seed", type=int, default=0, show_default=True,
              help="Fine-tuning seed; also the validation split's seed of --data when MODEL_OR_RUN records no splits.")
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Output folder.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of the table.")
def command(model_or_run, zoo, data, epochs, sparsity, bits, bits_conv, bits_fc, mode, max_drop, max_extra_epochs,
            steps, finetune_epochs, lr, huffman, index_bits, export, device, seed, out, as_json):
    """Prune, weight-share and Huffman-code MODEL_OR_RUN (or --zoo NAME); report sizes and accuracy."""
    from ..compress import CompressConfig, compress
    from ..compress.source import ZOO_PREFIX, export_weights, load_model_or_run
    from ..run_task import reader_dataset

    if bool(model_or_run) == bool(zoo):
        raise NasxError("give exactly one of MODEL_OR_RUN or --zoo NAME")
    spec = model_or_run or f"{ZOO_PREFIX}{zoo}"
    cfg = CompressConfig(sparsity=sparsity, bits=bits, bits_conv=bits_conv, bits_fc=bits_fc, mode=mode,
                         max_drop=max_drop, max_extra_epochs=max_extra_epochs, steps=steps,
                         finetune_epochs=finetune_epochs, lr=lr, huffman=huffman, index_bits=index_bits,
                         device=device, seed=seed)
    log = (lambda _m: None) if as_json else (lambda m: err_console.print(m))
    dataset, splits = reader_dataset(spec, data, seed, note=lambda m: err_console.print(
        f"compress: {m}", soft_wrap=True, highlight=False))
    loaded = load_model_or_run(spec, dataset, epochs, device=device, log=log)
    result = compress(loaded.model, dataset, cfg, out, log=log)
    # "splits": what it was evaluated and fine-tuned on (nasx.run_task reads it back for DIR/export)
    record = result.to_dict() | {"source": spec, "origin": loaded.origin, "splits": splits.to_dict()}
    if export:
        where = export_weights(loaded.origin, Path(out) / result.files["weights"], dataset, Path(out) / "export")
        record["files"]["export"] = where.name
    (Path(out) / "compress.json").write_text(json.dumps(record, indent=1, default=str) + "\n")
    rc = 0 if result.budget.met else 1
    if as_json:
        echo_json(record)
        _budget_note(result, out)
        return rc
    console.print(_table(result))
    b = result.budget
    console.print(f"accuracy (test): before {100 * result.acc_before:.2f}%   after pruning "
                  f"{100 * result.acc_pruned:.2f}%   after sharing {100 * result.acc_after:.2f}%")
    console.print(f"accuracy (val, the budget's): before {100 * b.val_before:.2f}%   after "
                  f"{100 * b.val_after:.2f}%   (budget -{100 * b.max_drop:.2f} points; "
                  f"{b.extra_epochs} of at most {b.max_extra_epochs} extra fine-tuning epochs)")
    console.print(f"size: {result.size_before_bytes:,} B fp32 dense -> {result.size_after_bytes:,} B written "
                  f"({result.ratio:.1f}x); conv/linear weights alone {record['weights_ratio']:.1f}x")
    console.print(f"wrote {out}: {', '.join(str(v) for v in record['files'].values())}, compress.json")
    _budget_note(result, out)
    return rc


def _budget_note(result, out) -> None:
    """One line on stderr when the accuracy budget was missed: by how much, and what was written."""
    b = result.budget
    if b.met:
        return
    err_console.print(f"compress: accuracy budget not met: validation accuracy {100 * b.val_before:.2f}% -> "
                      f"{100 * b.val_after:.2f}% is {100 * b.drop:.2f} points lost, {100 * (b.drop - b.max_drop):.2f} "
                      f"over --max-drop {b.max_drop:g}, after {b.extra_epochs} extra fine-tuning epochs (the cap, "
                      f"--max-extra-epochs); {out} holds what was reached; a lower --sparsity, more bits or a "
                      f"higher --max-extra-epochs may meet it", soft_wrap=True, highlight=False)
