"""`ProxyScorer`: score genotypes of one space with one proxy, as the search would build them.

The network is the candidate's real one (`space.with_network(**network).build(genotype, ...)`),
initialised under `torch.manual_seed(seed)`, at the data's input shape and class count; the
minibatch is `batch_size` training images (the proxy's reference size: 64, NASWOT 128) drawn
by a seeded shuffle of the search's training split. Scores go through the
on-disk cache; `seconds` accumulates the time actually spent computing (cache hits cost nothing).
"""

from __future__ import annotations

import math
import time

import torch

from ..errors import ConfigError
from .cache import ProxyCache, cache_key, default_cache_path
from .registry import get_proxy


def parse_prescreen(text) -> tuple[str, int] | None:
    """'synflow:10' -> ('synflow', 10); None/'' -> None; a one-line ConfigError otherwise."""
    if text is None or text == "":
        return None
    if not isinstance(text, str) or text.count(":") != 1:
        raise ConfigError(f"prescreen must look like PROXY:N (e.g. synflow:10), got {text!r}", keys=("prescreen",))
    name, n = text.split(":")
    try:
        get_proxy(name.strip())
    except ConfigError as exc:
        raise ConfigError(f"prescreen {text!r}: {exc}", keys=("prescreen",)) from None
    try:
        count = int(n)
    except ValueError:
        count = 0
    if count < 1 or str(count) != n.strip():
        raise ConfigError(f"prescreen {text!r}: N must be a positive whole number of candidates per proposal",
                          keys=("prescreen",))
    return name.strip(), count


class ProxyScorer:
    """score(genotype) -> float (higher is better), deterministic for (network, data, seed)."""

    def __init__(self, space, proxy: str, network: dict | None = None, data: str | None = None,
                 seed: int = 0, cache: ProxyCache | None = None, num_classes: int | None = None,
                 input_shape: tuple | None = None, batch_size: int | None = None):
        self.proxy = get_proxy(proxy)
        self.space, self.network = space, dict(network or {})
        self.built = space.with_network(**self.network)
        self.seed = int(seed)
        self.batch_size = int(batch_size or self.proxy.batch_size)
        self.data = data or ""
        if self.proxy.needs_data and not data:
            raise ConfigError(f"proxy {proxy} needs a minibatch of real data; give a data set or use synflow")
        self._batch = None
        self._classes, self._shape = num_classes, None if input_shape is None else tuple(input_shape)
        self.cache = cache if cache is not None else ProxyCache(default_cache_path())
        self.seconds = 0.0  # computing time spent (what the budget is charged)
        self.computed = 0
        self._memo: dict[str, float] = {}  # genotype hash -> score: a predictor asks for the same cells often

    def _data_spec(self) -> str:
        """What the score depends on besides network and seed (the cache key's data part)."""
        if self.proxy.needs_data:
            return f"{self.data}|batch={self.batch_size}"
        return f"shape={self._input()[0].shape[1:]}|classes={self._input()[2]}"

    def _input(self):
        if self._batch is None:
            if self.data:
                from ..data import load_dataset

                ds = load_dataset(self.data, seed=0)
                g = torch.Generator().manual_seed(self.seed)
                idx = torch.randperm(len(ds.y_train), generator=g)[: self.batch_size]
                self._batch = (ds.x_train[idx], ds.y_train[idx], ds.num_classes)
            else:
                shape = self._shape or (3, 32, 32)
                classes = self._classes or 10
                self._batch = (torch.zeros((1, *shape)), torch.zeros(1, dtype=torch.long), classes)
            if self._classes is not None:  # a table's own class count wins over the data's
                self._batch = (*self._batch[:2], self._classes)
        return self._batch

    def key(self, genotype) -> tuple:
        return cache_key(self.space.name, genotype.hash, self.network, self._data_spec(), self.proxy.name,
                         self.seed)

    def score(self, genotype) -> float:
        memo = self._memo.get(genotype.hash)
        if memo is not None:
            return memo
        key = self.key(genotype)
        value = self.cache.get(key)
        if value is None:
            value, secs = self.compute(genotype)
            self.cache.put(key, value, secs)
        self._memo[genotype.hash] = value
        return value

    def score_many(self, genotypes) -> list[float]:
        return [self.score(g) for g in genotypes]

    def compute(self, genotype) -> tuple[float, float]:
        """(score, seconds), bypassing the cache."""
        t0 = time.perf_counter()
        x, y, classes = self._input()
        with torch.random.fork_rng():  # the caller's random stream is left as it was
            torch.manual_seed(self.seed)
            net = self.built.build(genotype, num_classes=classes, input_size=tuple(x.shape[1:]))
            value = float(self.proxy.fn(net, x, y))
        if math.isnan(value):
            value = -math.inf
        secs = time.perf_counter() - t0
        self.seconds += secs
        self.computed += 1
        return value, secs
