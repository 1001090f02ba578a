"""`LMTask`: the protocol a language-model candidate is trained under (DARTS's recurrent recipe).

Defaults follow DARTS's recurrent search (`rnn/train_search.py`: SGD at lr 20, gradient clipping
0.25, BPTT 35 with a randomised length, weight decay 5e-7); the final training's recipe
(`recipe="darts_rnn"`: batch 64, weight decay 8e-7, a switch to averaged SGD when validation stops
improving for 5 epochs, `rnn/train.py`) is one field away. docs/rnn.md compares them with the paper.
`train_recipes()`: the recipes `nasx train --recipe` knows for language models (docs/train.md).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

import torch

from ..errors import ConfigError

LEVELS = ("char", "word")
RECIPES = {
    "darts_rnn_search": {"batch_size": 256, "lr": 20.0, "grad_clip": 0.25, "weight_decay": 5e-7, "bptt": 35,
                         "asgd_nonmono": 0},
    "darts_rnn": {"batch_size": 64, "lr": 20.0, "grad_clip": 0.25, "weight_decay": 8e-7, "bptt": 35,
                  "asgd_nonmono": 5},
}

# DARTS's rnn/train.py network defaults (nhid = emsize = 850, tied; the embedding follows `hidden` while tied)
DARTS_RNN_NETWORK = {"hidden": 850, "dropout": 0.75, "dropouth": 0.25, "dropoutx": 0.75, "dropouti": 0.2,
                     "dropoute": 0.1}


def train_recipes() -> dict:
    """The final-training recipes of a language model (`nasx train --recipe`), as nasx.evaluate Recipes:
    task fields plus network settings. No epochs: DARTS's 8000 are an upper limit, --epochs says how many."""
    from ..evaluate.recipes import Recipe

    return {"darts_rnn": Recipe(
        "darts_rnn", "DARTS recurrent final training (rnn/train.py): batch 64, SGD lr 20, clip 0.25, wd 8e-7, "
                     "BPTT 35, ASGD after 5 non-improving epochs, hidden 850, dropouts 0.75/0.25/0.75/0.2/0.1",
        dict(RECIPES["darts_rnn"]), dict(DARTS_RNN_NETWORK))}


@dataclass
class LMTask:
    """Data spec + optimisation settings of one language-model training.

    `data`: a text corpus spec (nasx.text: `shakespeare`, `text:/file.txt`, `text:/dir`); `level`:
    char or word tokens; `vocab_size`: cap (rarer tokens -> <unk>); `max_train`: train tokens used
    (a fidelity knob; the vocabulary is always the full train split's). `bptt`: the mean BPTT
    length, drawn per batch as in DARTS (35 with p=0.95 else 17.5, then N(bptt, 5), at least 5,
    the learning rate scaled by length / bptt). `asgd_nonmono`: switch SGD to averaged SGD after
    that many epochs without a better validation loss (0: never). `recipe`: a named set of these
    settings (RECIPES), applied under the explicit ones.
    """

    data: str = "shakespeare"
    level: str = "char"
    vocab_size: int | None = None
    epochs: int = 3
    batch_size: int = 64
    eval_batch_size: int = 64
    bptt: int = 35
    lr: float = 20.0
    grad_clip: float = 0.25
    weight_decay: float = 5e-7
    asgd_nonmono: int = 0
    max_train: int | None = None
    seed: int = 0
    device: str = "auto"
    latency: bool = True
    recipe: str = ""

    def __post_init__(self):
        checks = [
            (self.level in LEVELS, f"level {self.level!r} unknown; known: {', '.join(LEVELS)}"),
            (self.vocab_size is None or self.vocab_size >= 2, f"vocab_size must be >= 2, got {self.vocab_size}"),
            (self.epochs >= 1, f"epochs must be >= 1, got {self.epochs}"),
            (self.batch_size >= 1, f"batch_size must be >= 1, got {self.batch_size}"),
            (self.eval_batch_size >= 1, f"eval_batch_size must be >= 1, got {self.eval_batch_size}"),
            (5 <= self.bptt <= 10_000, f"bptt must be in [5, 10000], got {self.bptt}"),
            (self.lr > 0, f"lr must be > 0, got {self.lr}"),
            (self.grad_clip > 0, f"grad_clip must be > 0, got {self.grad_clip}"),
            (self.weight_decay >= 0, f"weight_decay must be >= 0, got {self.weight_decay}"),
            (self.asgd_nonmono >= 0, f"asgd_nonmono must be >= 0, got {self.asgd_nonmono}"),
            (self.max_train is None or self.max_train >= 100, f"max_train must be >= 100 tokens, got {self.max_train}"),
            (self.device in ("auto", "cpu", "cuda"), f"device {self.device!r} unknown; known: auto, cpu, cuda"),
            (self.recipe in ("", *RECIPES), f"recipe {self.recipe!r} unknown; known: {', '.join(RECIPES)}"),
        ]
        for ok, message in checks:
            if not ok:
                raise ConfigError(f"task: {message}", keys=("task",))

    @classmethod
    def from_dict(cls, d: dict | None) -> LMTask:
        """From a YAML/JSON mapping: unknown keys and ill-typed values are one-line ConfigErrors; a
        `recipe` fills the settings the mapping leaves out."""
        d = dict(d or {})
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(set(d) - set(known))
        if unknown:
            raise ConfigError(f"task: unknown key(s) {', '.join(unknown)} for a language model; "
                              f"known: {', '.join(known)}", keys=("task",))
        recipe = d.get("recipe") or ""
        if recipe and recipe not in RECIPES:
            raise ConfigError(f"task: recipe {recipe!r} unknown; known: {', '.join(RECIPES)}", keys=("task",))
        defaults = cls()
        merged = {**RECIPES.get(recipe, {}), **d}
        return cls(**{k: _coerce(k, v, getattr(defaults, k)) for k, v in merged.items()})

    def to_dict(self) -> dict:
        return asdict(self)

    def resolved_device(self) -> torch.device:
        from ..evaluate.task import resolve_device

        return resolve_device(self.device)


def _coerce(key: str, value, default):
    from ..evaluate.task import coerce_setting

    return coerce_setting(key, value, default, {"vocab_size": int, "max_train": int}, keys=("task",))
