"""Text corpora for language modelling: loaders behind a scheme registry, a train-only vocabulary,
batch-first token streams.

    corpus = load_corpus("shakespeare", level="char")   # or "text:/file.txt", "text:/ptb_dir"
    data = batchify(corpus.train, 32, device="cuda")     # (32, L)
    for i in range(0, data.size(1) - 1, 128):
        x, y = get_batch(data, i, 128)                   # y is x one token on
"""

from .batches import batchify, get_batch
from .corpus import EOS, LEVELS, UNK, Corpus
from .loaders import (
    TEXT_LOADERS,
    RawText,
    corpus_names,
    load_corpus,
    parse_corpus_spec,
    register_text_loader,
)

__all__ = [
    "EOS",
    "LEVELS",
    "TEXT_LOADERS",
    "UNK",
    "Corpus",
    "RawText",
    "batchify",
    "corpus_names",
    "get_batch",
    "load_corpus",
    "parse_corpus_spec",
    "register_text_loader",
]
