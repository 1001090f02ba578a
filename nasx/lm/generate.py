"""Sampling text from a trained language model: the prompt through the network, then one token at a
time from softmax(logits / temperature), the hidden state carried along.

The vocabulary travels with the model: a run's build record names the corpus and its tokenisation
(`vocabulary_of_build`), an export folder ships it as `vocab.json` (`read_vocab_file`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from ..errors import NasxError

VOCAB_FILE = "vocab.json"


@dataclass(frozen=True)
class Vocabulary:
    """The token list of a language model (id -> token), its level (char / word) and `<unk>`'s id."""

    tokens: tuple[str, ...]
    level: str
    unk: int | None = None

    def encode(self, text: str) -> torch.Tensor:
        from ..text.corpus import to_ids, tokenize

        stoi = {t: i for i, t in enumerate(self.tokens)}
        toks = tokenize(text, self.level)
        if self.level == "word" and toks and toks[-1] == "<eos>" and not text.endswith("\n"):
            toks.pop()  # a prompt is the start of a line, not a whole one
        return to_ids(toks, stoi, self.unk, "the model's vocabulary")

    def decode(self, ids) -> str:
        from ..text.corpus import detokenize

        return detokenize([self.tokens[int(i)] for i in ids], self.level)

    def to_json(self) -> str:
        return json.dumps({"level": self.level, "unk": self.unk, "tokens": list(self.tokens)}, ensure_ascii=False)


def vocabulary_of_corpus(corpus) -> Vocabulary:
    return Vocabulary(tuple(corpus.vocab), corpus.level, corpus.unk)


def vocabulary_of_build(build: dict) -> Vocabulary:
    """The vocabulary a run's trial was trained with: its corpus, tokenised as the trial's build record says."""
    from ..text import load_corpus

    data = build.get("data")
    if not data:
        raise NasxError("the trial's build record names no text corpus; export it and use the export folder")
    corpus = load_corpus(data, build.get("level") or "char", build.get("vocab_size"))
    return vocabulary_of_corpus(corpus)


def read_vocab_file(folder: Path) -> Vocabulary:
    path = Path(folder) / VOCAB_FILE
    if not path.is_file():
        raise NasxError(f"{folder} has no {VOCAB_FILE}: it is not an exported language model")
    try:
        d = json.loads(path.read_text(encoding="utf-8"))
        tokens, level, unk = tuple(d["tokens"]), d["level"], d.get("unk")
        if level not in ("char", "word") or not all(isinstance(t, str) for t in tokens) or len(tokens) < 2:
            raise ValueError("bad fields")
        if unk is not None and not (isinstance(unk, int) and 0 <= unk < len(tokens)):
            raise ValueError("bad unk")
    except (ValueError, KeyError, TypeError) as exc:
        raise NasxError(f"{path} is not a vocabulary file ({exc})") from None
    return Vocabulary(tokens, level, unk)


@torch.no_grad()
def sample(model: nn.Module, vocab: Vocabulary, prompt: str, length: int, temperature: float = 1.0,
           seed: int = 0) -> str:
    """`length` tokens sampled after `prompt` (which must hold at least one token), as text."""
    if length < 1:
        raise NasxError(f"--length must be at least 1, got {length}")
    if not temperature > 0:
        raise NasxError(f"--temperature must be > 0, got {temperature}")
    ids = vocab.encode(prompt)
    if ids.numel() == 0:
        raise NasxError("the prompt is empty: give at least one token (--prompt TEXT)")
    model.eval()
    device = next(model.parameters()).device
    g = torch.Generator(device="cpu").manual_seed(seed)
    logits, hidden = model(ids.view(1, -1).to(device), None)
    out: list[int] = []
    for _ in range(length):
        probs = torch.softmax(logits[0, -1].float().cpu() / temperature, dim=-1)
        nxt = int(torch.multinomial(probs, 1, generator=g))
        out.append(nxt)
        logits, hidden = model(torch.tensor([[nxt]], device=device), hidden)
    return vocab.decode(out)
