"""Accuracy predictors for predictor-guided search (PNAS): fit on (genotype, accuracy), rank the rest.

Two kinds, chosen by name (`create_surrogate`):
  lstm          PNAS's own: an LSTM reads a cell block by block (each step the embedded tokens of
                one block), so weights are shared across blocks and a model fit on b-block cells
                scores (b+1)-block children. Spaces without blocks are read one decision per step.
  mlp_ensemble  M small MLPs over the space's fixed-length one-hot encoding, trained as one batched
                model from different initialisations on bootstrap resamples; their spread is the
                uncertainty.
With `proxy` (a function genotypes -> zero-cost proxy scores, e.g. `ProxyScorer.score_many`) every
model also reads the candidate's proxy score as one more input, standardised on the fitted cells
(-inf, a cell with no input-output path, maps below all of them): the proxy ranks untrained cells
the predictor has no data near, the encoding corrects it where it has.
Targets are rank-normalised before fitting: only the order matters to the search, and the long
tail of broken cells (10% accuracy) would otherwise dominate a squared loss. Training is full-batch
Adam for a fixed number of steps with a seeded initialisation, so a fit is a deterministic function
of (seed, data) and takes a fraction of a second on CPU for hundreds of cells.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from contextlib import contextmanager

import numpy as np
import torch
from scipy.stats import rankdata, spearmanr
from torch import nn

from ..registry import Registry

_SURROGATES: Registry[type] = Registry("surrogate")


def register_surrogate(name: str):
    """Class decorator: the surrogate `name` (a taken name is a DuplicateName naming both modules)."""
    def deco(cls):
        _SURROGATES.add(name, cls)
        cls.name = name
        return cls
    return deco


def surrogate_names() -> list[str]:
    return _SURROGATES.names()


def create_surrogate(name: str, space, seed: int = 0, **options) -> Surrogate:
    """A fresh surrogate `name`; unknown: a one-line ConfigError listing the known ones."""
    return _SURROGATES.get_or_error(name)(space, seed=seed, **options)


def spearman(pred, actual) -> float | None:
    """Spearman rank correlation, None when undefined (fewer than 3 points or a constant side)."""
    pred, actual = np.asarray(pred, dtype=float), np.asarray(actual, dtype=float)
    if len(pred) < 3 or np.ptp(pred) == 0 or np.ptp(actual) == 0:
        return None
    return float(spearmanr(pred, actual).statistic)


def rank_targets(y) -> np.ndarray:
    """Accuracies -> ranks scaled to [-1, 1] (ties share their mean rank)."""
    y = np.asarray(y, dtype=float)
    if len(y) < 2:
        return np.zeros(len(y), dtype=np.float32)
    return (2 * (rankdata(y) - 1) / (len(y) - 1) - 1).astype(np.float32)


@contextmanager
def one_thread():
    """Models this small only lose to intra-op thread sync (badly so on a loaded machine)."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(n)


class Surrogate(ABC):
    """fit(genotypes, accuracies) then predict(genotypes) -> (mean, std); both numpy arrays."""

    name = ""

    def __init__(self, space, seed: int = 0, steps: int = 200, lr: float = 0.01, cache: dict | None = None,
                 proxy=None):
        self.space, self.seed, self.steps, self.lr = space, int(seed), int(steps), float(lr)
        self.model: nn.Module | None = None
        self.cache = {} if cache is None else cache  # (kind, genotype hash) -> features; shareable across fits
        self.proxy = proxy
        self._proxy_stats: tuple[float, float, float] | None = None  # (mean, std, floor) of the fitted cells

    @property
    def extra_inputs(self) -> int:
        return 1 if self.proxy is not None else 0

    def featurize(self, genotypes) -> tuple:
        rows = []
        for g in genotypes:
            key = (self.name, g.hash)
            if key not in self.cache:
                self.cache[key] = self.features(g)
            rows.append(self.cache[key])
        x = self.collate(rows)
        if self.proxy is None:
            return x
        return (*x, self._proxy_column(genotypes))

    def _proxy_column(self, genotypes) -> torch.Tensor:
        with torch.enable_grad():  # predict() runs under no_grad; gradient proxies need autograd
            raw = np.array(self.proxy(list(genotypes)), dtype=float)
        if self._proxy_stats is None:  # set by the fit, from the cells it is fitted on
            ok = raw[np.isfinite(raw)]
            mean, std = (float(ok.mean()), float(ok.std()) or 1.0) if len(ok) else (0.0, 1.0)
            self._proxy_stats = (mean, std, ((float(ok.min()) if len(ok) else 0.0) - mean) / std - 1.0)
        mean, std, floor = self._proxy_stats
        z = np.where(np.isfinite(raw), (np.nan_to_num(raw, neginf=0.0, posinf=0.0) - mean) / std, floor)
        return torch.from_numpy(np.clip(z, -4.0, 4.0).astype(np.float32))[:, None]

    def fit(self, genotypes, y) -> Surrogate:
        with one_thread():
            return self._fit(genotypes, y)

    def _fit(self, genotypes, y) -> Surrogate:
        if len(genotypes) != len(y) or not len(y):
            raise ValueError("fit needs as many accuracies as genotypes, and at least one")
        target = torch.from_numpy(rank_targets(y))
        self._proxy_stats = None
        x = self.featurize(genotypes)
        with torch.random.fork_rng(devices=[]):  # seeded init without touching the global RNG
            torch.manual_seed(self.seed)
            self.model = self.make_model()
        opt = torch.optim.Adam(self.model.parameters(), lr=self.lr, weight_decay=1e-4, fused=True)
        weights = self.sample_weights(len(y))
        self.model.train()
        for _ in range(self.steps):
            opt.zero_grad()
            err = (self.model(*x) - target) ** 2  # (members, n) or (n,)
            loss = (err * weights).sum(-1).mean() / len(y)
            loss.backward()
            opt.step()
        return self

    def predict(self, genotypes) -> tuple[np.ndarray, np.ndarray]:
        with one_thread(), torch.no_grad():
            return self._predict(genotypes)

    def _predict(self, genotypes, batch: int = 4096) -> tuple[np.ndarray, np.ndarray]:
        if self.model is None:
            raise RuntimeError("predict before fit")
        self.model.eval()
        means, stds = [], []
        for i in range(0, len(genotypes), batch):
            out = self.model(*self.featurize(genotypes[i:i + batch]))
            out = out if out.dim() == 2 else out[None]
            means.append(out.mean(0).numpy())
            stds.append(out.std(0, unbiased=False).numpy())
        if not means:
            return np.zeros(0), np.zeros(0)
        return np.concatenate(means).astype(float), np.concatenate(stds).astype(float)

    def sample_weights(self, n: int) -> torch.Tensor:
        return torch.ones(n)

    @abstractmethod
    def features(self, genotype) -> np.ndarray:
        """One genotype's model input (cached by hash)."""

    @abstractmethod
    def collate(self, rows: list) -> tuple:
        """Model inputs (tensors) for a batch of `features` rows."""

    @abstractmethod
    def make_model(self) -> nn.Module: ...


class _SeqModel(nn.Module):
    def __init__(self, vocab: int, width: int, embed: int, hidden: int, extra: int = 0):
        super().__init__()
        self.embed = nn.Embedding(vocab, embed, padding_idx=0)
        self.lstm = nn.LSTM(width * embed, hidden, batch_first=True)
        self.head = nn.Linear(hidden + extra, 1)

    def forward(self, tokens, lengths, extra=None):
        n, t, _ = tokens.shape
        out, _ = self.lstm(self.embed(tokens).reshape(n, t, -1))
        last = out[torch.arange(n), lengths - 1]
        if extra is not None:
            last = torch.cat([last, extra], dim=-1)
        return self.head(last).squeeze(-1)


@register_surrogate("lstm")
class LSTMSurrogate(Surrogate):
    """PNAS's predictor: shared token embeddings, one LSTM step per block, a linear head."""

    def __init__(self, space, seed: int = 0, embed: int = 16, hidden: int = 32, steps: int = 150,
                 lr: float = 0.01, cache: dict | None = None, proxy=None):
        super().__init__(space, seed, steps, lr, cache, proxy)
        self.embed_dim, self.hidden = embed, hidden
        self.vocab: dict[str, int] = {}
        for _, opts in space.decisions():
            for o in opts:
                self.vocab.setdefault(self._token_kind(o), len(self.vocab) + 1)
        self.width = len(self._steps(space.sample(0))[0])

    @staticmethod
    def _token_kind(value) -> str:
        return f"in:{value}" if isinstance(value, int) else f"op:{value}"

    def _steps(self, genotype) -> list[list[str]]:
        if hasattr(self.space, "block_tokens"):
            return self.space.block_tokens(genotype)
        ch = self.space.choices(genotype)
        return [[self._token_kind(ch[k])] for k, _ in self.space.decisions() if k in ch]

    def features(self, genotype):
        return np.array([[self.vocab[tok] for tok in step] for step in self._steps(genotype)], dtype=np.int64)

    def collate(self, rows):
        tokens = np.zeros((len(rows), max(len(r) for r in rows), self.width), dtype=np.int64)
        for i, r in enumerate(rows):
            tokens[i, :len(r)] = r
        return torch.from_numpy(tokens), torch.tensor([len(r) for r in rows])

    def make_model(self):
        return _SeqModel(len(self.vocab) + 1, self.width, self.embed_dim, self.hidden, self.extra_inputs)


class _EnsembleMLP(nn.Module):
    """M independent 2-layer MLPs evaluated as one batched matmul: (n, d) -> (M, n)."""

    def __init__(self, members: int, d: int, hidden: int):
        super().__init__()
        self.w1 = nn.Parameter(torch.randn(members, d, hidden) * (2.0 / d) ** 0.5)
        self.b1 = nn.Parameter(torch.zeros(members, 1, hidden))
        self.w2 = nn.Parameter(torch.randn(members, hidden, 1) * (1.0 / hidden) ** 0.5)
        self.b2 = nn.Parameter(torch.zeros(members, 1, 1))

    def forward(self, x, extra=None):
        if extra is not None:
            x = torch.cat([x, extra], dim=-1)
        h = torch.relu(torch.matmul(x, self.w1) + self.b1)
        return (torch.matmul(h, self.w2) + self.b2).squeeze(-1)


@register_surrogate("mlp_ensemble")
class MLPEnsembleSurrogate(Surrogate):
    """Ensemble of MLPs on `space.encode` (absent blocks encode as zeros); std across members."""

    def __init__(self, space, seed: int = 0, members: int = 5, hidden: int = 32, steps: int = 60,
                 lr: float = 0.03, cache: dict | None = None, proxy=None):
        super().__init__(space, seed, steps, lr, cache, proxy)
        self.members, self.hidden = members, hidden

    def features(self, genotype):
        return self.space.encode(genotype)

    def collate(self, rows):
        return (torch.from_numpy(np.stack(rows)),)

    def make_model(self):
        return _EnsembleMLP(self.members, self.space.encoding_size + self.extra_inputs, self.hidden)

    def sample_weights(self, n):
        """Bootstrap counts per member (member 0 sees every point once) so members disagree off-data."""
        rng = np.random.default_rng(self.seed)
        w = rng.multinomial(n, np.full(n, 1.0 / n), size=self.members).astype(np.float32)
        w[0] = 1.0
        return torch.from_numpy(w)
