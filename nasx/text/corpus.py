"""A tokenised text corpus: vocabulary from the train split, three 1-D LongTensors of token ids.

Levels: `char` (every character a token, newlines kept) and `word` (the PTB convention of the
DARTS / AWD-LSTM `data.py`: each line split on whitespace, then `<eos>`). The vocabulary comes from
the train split only, so held-out text can hold tokens the model never saw: they map to `<unk>`.
"""

from __future__ import annotations

import difflib
from collections import Counter
from dataclasses import dataclass

import torch

from ..errors import NasxError

LEVELS = ("char", "word")
UNK, EOS = "<unk>", "<eos>"
SPLITS = ("train", "valid", "test")
MIN_TOKENS = 100  # per split: fewer is a toy file, not a corpus


@dataclass(eq=False)  # tensors have no single truth value: two corpora are equal when they are one
class Corpus:
    """Token ids per split and the vocabulary (id -> token) they index."""

    name: str
    level: str
    vocab: list[str]
    train: torch.Tensor
    valid: torch.Tensor
    test: torch.Tensor
    unk: int | None

    def __post_init__(self):
        self._stoi = {tok: i for i, tok in enumerate(self.vocab)}

    def __repr__(self) -> str:
        return (f"Corpus({self.name!r}, level={self.level!r}, vocab_size={self.vocab_size}, "
                f"tokens={len(self.train)}/{len(self.valid)}/{len(self.test)})")

    @property
    def vocab_size(self) -> int:
        return len(self.vocab)

    def encode(self, text: str) -> torch.Tensor:
        """Token ids of `text` at this corpus's level; tokens not in the vocabulary become `unk`."""
        return to_ids(tokenize(text, self.level), self._stoi, self.unk, f"the {self.name!r} vocabulary")

    def decode(self, ids) -> str:
        """Text of `ids`: chars joined as they are, words with spaces, `<eos>` as a line break."""
        toks = [self.vocab[int(i)] for i in (ids.flatten().tolist() if torch.is_tensor(ids) else ids)]
        return detokenize(toks, self.level)


def detokenize(toks: list[str], level: str) -> str:
    """Text of tokens: chars joined as they are, words with spaces, `<eos>` as a line break."""
    if level == "char":
        return "".join(toks)
    out: list[str] = []
    for tok in toks:
        if tok == EOS:
            out.append("\n")
        else:
            if out and out[-1] != "\n":
                out.append(" ")
            out.append(tok)
    return "".join(out)


def to_ids(toks: list[str], stoi: dict[str, int], unk: int | None, where: str) -> torch.Tensor:
    """1-D LongTensor of ids; a token outside `stoi` is `unk`, or a NasxError when there is none."""
    if unk is not None:
        return torch.tensor([stoi.get(t, unk) for t in toks], dtype=torch.long)
    missing = next((t for t in toks if t not in stoi), None)
    if missing is not None:
        raise NasxError(f"token {missing!r} is not in {where}, which has no {UNK}; "
                        f"encode text made of its tokens")
    return torch.tensor([stoi[t] for t in toks], dtype=torch.long)


def check_level(level: str) -> str:
    if level not in LEVELS:
        close = difflib.get_close_matches(str(level), LEVELS, n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        raise NasxError(f"unknown text level {level!r}{hint}; use one of: {', '.join(LEVELS)}")
    return level


def tokenize(text: str, level: str) -> list[str]:
    """Tokens of `text`: its characters, or per line its whitespace-split words then `<eos>`."""
    if level == "char":
        return list(text)
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the final line break ends the last line, it does not start an empty one
    toks: list[str] = []
    for line in lines:
        toks += line.split()
        toks.append(EOS)
    return toks


def build_vocab(train: list[str], held_out: list[list[str]], level: str,
                vocab_size: int | None) -> tuple[list[str], int | None]:
    """Vocabulary (most frequent train token first, ties by token) and the id of `<unk>`, or None.

    `vocab_size` keeps the most frequent train tokens and `<unk>` (counted as the train tokens it
    stands for); `<unk>` is there at word level, when the cap drops tokens, or when held-out text
    has a token that train lacks."""
    counts = Counter(train)
    unk_count = counts.pop(UNK, 0)
    ranked = sorted(counts, key=lambda t: (-counts[t], t))
    need_unk = level == "word" or unk_count > 0 or any(t not in counts for toks in held_out for t in toks)
    if vocab_size is not None and len(ranked) + need_unk > vocab_size:
        need_unk = True
        unk_count += sum(counts[t] for t in ranked[vocab_size - 1:])
        ranked = ranked[:vocab_size - 1]
    if not need_unk:
        return ranked, None
    counts[UNK] = unk_count
    vocab = sorted([*ranked, UNK], key=lambda t: (-counts[t], t))
    return vocab, vocab.index(UNK)


def make_corpus(name: str, splits: dict[str, str], level: str, vocab_size: int | None = None,
                max_train_tokens: int | None = None, where: str = "") -> Corpus:
    """Tokenise three split texts into a Corpus; a split under MIN_TOKENS tokens is a NasxError."""
    check_level(level)
    check_sizes(vocab_size, max_train_tokens)
    where = where or name
    toks = {s: tokenize(splits[s], level) for s in SPLITS}
    for s in SPLITS:
        if len(toks[s]) < MIN_TOKENS:
            raise NasxError(f"{where}: the {s} split has {len(toks[s])} {level} tokens; each split needs at "
                            f"least {MIN_TOKENS} (give more text)")
    vocab, unk = build_vocab(toks["train"], [toks["valid"], toks["test"]], level, vocab_size)
    if max_train_tokens is not None:
        toks["train"] = toks["train"][:max_train_tokens]  # after the vocabulary: fidelity keeps it
    stoi = {tok: i for i, tok in enumerate(vocab)}
    ids = {s: to_ids(toks[s], stoi, unk, f"{where} vocabulary") for s in SPLITS}
    return Corpus(name, level, vocab, ids["train"], ids["valid"], ids["test"], unk)


def check_sizes(vocab_size: int | None, max_train_tokens: int | None) -> None:
    """vocab_size >= 2 (a token and <unk>) and max_train_tokens >= 1, when given."""
    if vocab_size is not None and (isinstance(vocab_size, bool) or not isinstance(vocab_size, int)
                                   or vocab_size < 2):
        raise NasxError(f"vocab_size {vocab_size!r} is too small; give an integer >= 2, or none for every "
                        f"train token")
    if max_train_tokens is not None and (isinstance(max_train_tokens, bool)
                                         or not isinstance(max_train_tokens, int) or max_train_tokens < 1):
        raise NasxError(f"max_train_tokens {max_train_tokens!r} is not a positive integer; give one, or none "
                        f"for the whole train split")
