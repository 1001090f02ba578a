"""What a trial runner needs before it trains: the data set (cached per worker process) and the
space with the run's network settings. Shared by the default runner and ENAS's, so neither
reaches into the other's module."""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=4)
def cached_dataset(spec: str, val_fraction: float, max_train):
    """`load_dataset` once per (spec, split) in this process: a Ray worker reuses it across trials."""
    from ..data import load_dataset

    return load_dataset(spec, val_fraction=val_fraction, max_train=max_train)


def network_space(name: str, network: dict | None):
    """The search space `name` with the run's network settings (channels, cells...) applied."""
    from ..spaces import get_space

    return get_space(name).with_network(**dict(network or {}))
