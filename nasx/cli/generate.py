"""`nasx generate RUN_OR_EXPORT --prompt TEXT --length N`: sample text from a trained language model
(a run's best trial, or the final phase's winner when one ran, or an export folder with vocab.json)."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import NasxError
from .common import err_console


def _model_and_vocab(source: Path, rank: int | None, trial: str | None):
    from ..inputs import InputSpec
    from ..lm.generate import VOCAB_FILE, Vocabulary, read_vocab_file

    if (source / "model.py").is_file():
        if not (source / VOCAB_FILE).is_file():
            raise NasxError(f"{source} is an export without {VOCAB_FILE}: generate needs an exported language model")
        from ..export.load import load_export

        return load_export(source).eval(), read_vocab_file(source), f"export {source.name}"
    if not (source / "run.json").is_file():
        raise NasxError(f"{source} is neither a run directory (run.json) nor an export folder (model.py)")
    from ..export import from_run

    ex = from_run(source, rank=rank, trial=trial)
    spec = InputSpec.of(ex.input_size)
    if not spec.tokens:
        raise NasxError(f"run {source.name} trains {ex.num_classes}-class image classifiers (input {spec.text()}); "
                        "generate samples text from a language model")
    if ex.weights is None:
        raise NasxError(f"{ex.source}: kept no weights, nothing trained to sample from")
    text = ex.extra_files.get(VOCAB_FILE)
    if text is None:
        raise NasxError(f"{ex.source}: the corpus it was trained on cannot be read any more, so its vocabulary is "
                        "unknown")
    import json

    d = json.loads(text)
    return ex.model.eval(), Vocabulary(tuple(d["tokens"]), d["level"], d.get("unk")), ex.source


@click.command("generate")
@click.argument("source", type=click.Path(file_okay=False))
@click.option("--prompt", default="\n", show_default=False, help="Text the sample continues (default: a line break).")
@click.option("--length", type=click.IntRange(1, 100_000), default=300, show_default=True,
              help="Tokens to sample (characters, or words for a word-level model).")
@click.option("--temperature", type=float, default=0.8, show_default=True,
              help="Softmax temperature: lower is more conservative, 1 samples the model as it is.")
@click.option("--seed", type=int, default=0, show_default=True, help="Sampling seed (the same seed, the same text).")
@click.option("--rank", type=click.IntRange(1, None), default=None, help="A run's N-th best trial.")
@click.option("--trial", default=None, help="A run's trial id (or a final training's id).")
def command(source, prompt, length, temperature, seed, rank, trial):
    """Sample LENGTH tokens after PROMPT from SOURCE: a language-model run directory (its final winner,
    else its best trial) or an export folder; the text goes to stdout."""
    from ..lm.generate import sample

    model, vocab, where = _model_and_vocab(Path(source), rank, trial)
    text = sample(model, vocab, prompt, length, temperature, seed)
    err_console.print(f"[dim]{where}; {vocab.level} level, vocabulary {len(vocab.tokens)}, temperature {temperature:g}[/]",
                  highlight=False)
    click.echo(prompt + text)
